"""Months: the model's unit of time.

One step is one calendar month. People read and write months as ``YYYY-MM``; inside the
model a month is an integer index (``year * 12 + month - 1``) so that dated rules become
integer comparisons on per-run arrays. The engine accepts any month from 1934-01 to
1945-12 (docs/architecture.md §1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EARLIEST = "1934-01"
LATEST = "1945-12"
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class MonthError(ValueError):
    """A text that is not a month of the engine's range."""


def parse_month(text: str) -> int:
    """``"1940-02"`` -> month index. Raises MonthError with what was expected."""
    if isinstance(text, str) and text in _PARSED:
        return _PARSED[text]
    index = _parse_month(text)
    if len(_PARSED) < 4096:
        _PARSED[text] = index
    return index


_PARSED: dict[str, int] = {}  # every model reads the same months


def _parse_month(text: str) -> int:
    if not isinstance(text, str):
        raise MonthError(f"expected a month 'YYYY-MM', got {text!r}")
    match = _MONTH_RE.match(text)
    if not match:
        raise MonthError(f"expected a month 'YYYY-MM', got {text!r}")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise MonthError(f"month {text!r} does not exist (month part must be 01-12)")
    index = year * 12 + month - 1
    if not _index(EARLIEST) <= index <= _index(LATEST):
        raise MonthError(f"month {text!r} is outside the engine's range {EARLIEST}..{LATEST}")
    return index


def _index(text: str) -> int:
    year, month = text.split("-")
    return int(year) * 12 + int(month) - 1


def format_month(index: int) -> str:
    """Month index -> ``"YYYY-MM"``."""
    year, month0 = divmod(int(index), 12)
    return f"{year:04d}-{month0 + 1:02d}"


def calendar_month(index: int) -> int:
    """The month of the year, 1..12, of a month index (``parse_month("1940-08")`` -> 8)."""
    return int(index) % 12 + 1


def is_month_text(value: object) -> bool:
    return isinstance(value, str) and bool(_MONTH_RE.match(value))


@dataclass(frozen=True)
class Window:
    """The simulated months, first and last inclusive."""

    first: int
    last: int

    @classmethod
    def from_texts(cls, start: str, end: str) -> Window:
        first, last = parse_month(start), parse_month(end)
        if last < first:
            raise MonthError(f"window ends ({end}) before it starts ({start})")
        return cls(first, last)

    @property
    def n_months(self) -> int:
        return self.last - self.first + 1

    @property
    def labels(self) -> list[str]:
        return [format_month(i) for i in range(self.first, self.last + 1)]
