"""The node types of the file schemas: each checks one value and names what was wrong.

Leaves (:class:`Number`, :class:`Month`, :class:`Ref`, :class:`Choice`, ...) and containers
(:class:`Table`, :class:`MapOf`, :class:`ListOf`, :class:`FalseOr`); common kinds and the
cross-key rules attached to tables are in :mod:`model.world.kinds`. A failed check raises one
:class:`~model.errors.ScenarioError` with the file, the key path, what was expected and,
where there is a list, the valid names. The modules that read a scenario declare their keys
with them (assembled in :mod:`model.files.schema`), :mod:`model.batch.experiment` the
experiment files' and :mod:`model.analysis.validation` the validation targets'.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from model.errors import ScenarioError
from model.world.calendar import MonthError, format_month, is_month_text, parse_month
from model.world.distributions import DistributionError, central, check, is_distribution
from model.world.keypaths import join_key as _join  # also imported from here (kinds, schemas)


# ---------------------------------------------------------------------------------------
# what a node knows while it checks: the file, the window and the names defined in it
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Context:
    path: Path
    window: tuple[int, int] | None = None  # first, last month index
    names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # kind -> valid names

    def fail(self, where: str, expected: str) -> NoReturn:
        raise ScenarioError(self.path, where, expected)


def _show(value: Any, limit: int = 60) -> str:
    """A short TOML-like rendering of a value for an error message."""
    if isinstance(value, Mapping):
        text = f"a {value.get('dist')!s} distribution" if is_distribution(value) else "a table"
    elif isinstance(value, list):
        text = "an array"
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError):  # nan, inf (TOML spells them as repr does), dates
            text = str(value) if isinstance(value, dt.date | dt.time) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Node:
    """One node of the schema: ``check`` raises through ``ctx.fail`` or returns."""

    default: Any = field(default=None, kw_only=True)  # read for an absent key (ParameterView)

    def describe(self) -> str:
        raise NotImplementedError

    def check(self, value: Any, where: str, ctx: Context) -> None:
        raise NotImplementedError


# ---------------------------------------------------------------------------------------
# leaves
# ---------------------------------------------------------------------------------------
# A scenario name: a letter, then letters, digits, '_' or '-', 64 characters at most
IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
IDENTIFIER_TEXT = "an identifier (a letter, then up to 63 letters, digits, '_' or '-')"
# The largest magnitude a number in a file may have, and the smallest nonzero one: beyond
# them float64 sums and products over months overflow to inf or underflow to 0 (then NaN)
MAGNITUDE_MAX = 1e15
MAGNITUDE_MIN = 1e-12


def is_identifier(value: Any) -> bool:
    return isinstance(value, str) and IDENTIFIER.fullmatch(value) is not None


def _magnitude_problem(value: float) -> str | None:
    size = abs(value)
    if size > MAGNITUDE_MAX:
        return f"expected a number of magnitude at most {MAGNITUDE_MAX:g}, got {value!r}"
    if 0 < size < MAGNITUDE_MIN:
        return f"expected 0 or a number of magnitude at least {MAGNITUDE_MIN:g}, got {value!r}"
    return None


def _number_range(spec: Mapping) -> tuple[float, float]:
    """The smallest interval holding every value a (checked) numeric distribution takes."""
    kind = spec["dist"]
    if kind == "choice":
        values = [float(v) for v in spec["values"]]
        return min(values), max(values)
    if kind in ("uniform", "triangular"):
        return float(spec["low"]), float(spec["high"])
    low = float(spec.get("low", 0.0 if kind == "lognormal" else -math.inf))
    return low, float(spec.get("high", math.inf))


@dataclass(frozen=True)
class Number(Node):
    low: float | None = None
    high: float | None = None
    sampled: bool = False  # read with ParameterView.number: may be a distribution
    integer: bool = False
    positive: bool = False  # strictly above ``low``

    def describe(self) -> str:
        return self.kind() + (" or a distribution" if self.sampled else "")

    def kind(self) -> str:
        if self.integer:
            kind = "a whole number"
        elif (self.low, self.high) == (0, 1):
            kind = "a share between 0 and 1"
        elif self.positive:
            kind = "a positive number"
        elif self.low == 0:
            kind = "a non-negative number"
        else:
            kind = "a number"
        if self.integer and (self.low is not None or self.high is not None):
            low = "" if self.low is None else f"{self.low:g}"
            high = "" if self.high is None else f"{self.high:g}"
            kind += f" in {low}..{high}" if high else f" >= {low}"
        return kind

    def _inside(self, lo: float, hi: float) -> bool:
        if self.low is not None and (lo < self.low or (self.positive and lo <= self.low)):
            return False
        return self.high is None or hi <= self.high

    def check(self, value: Any, where: str, ctx: Context) -> None:
        if is_distribution(value):
            self._check_distribution(value, where, ctx)
            return
        wrong_type = isinstance(value, bool) or not isinstance(value, int | float)
        if wrong_type or (self.integer and not isinstance(value, int)):
            ctx.fail(where, f"expected {self.describe()}, got {_show(value)}")
        if not math.isfinite(value):
            ctx.fail(where, f"expected a finite number, got {_show(value)}")
        problem = _magnitude_problem(value)
        if problem:
            ctx.fail(where, problem)
        if not self._inside(value, value):
            ctx.fail(where, f"expected {self.describe()}, got {_show(value)}")

    def _check_distribution(self, spec: Mapping, where: str, ctx: Context) -> None:
        if not self.sampled:
            ctx.fail(
                where,
                f"expected {self.describe()}; this value is not sampled, so it cannot be a distribution",
            )
        if self.integer:
            ctx.fail(where, f"expected {self.describe()}; whole numbers cannot be distributions")
        _check_spec(spec, where, ctx)
        if any(is_month_text(v) for v in _spec_values(spec)):
            ctx.fail(where, "expected a distribution of numbers, got one of months")
        for v in _spec_values(spec):
            problem = _magnitude_problem(v) if isinstance(v, int | float) else None
            if problem:
                ctx.fail(where, problem)
        lo, hi = _number_range(spec)
        if not self._inside(lo, hi):
            ctx.fail(
                where,
                f"the distribution ranges over {lo:g}..{hi:g}; expected {self.kind()} throughout",
            )


@dataclass(frozen=True)
class Integer(Node):
    """A whole number compared exactly, never as a float: bounds beyond 2**53 hold (a seed
    below 2**64); bounds and values are written with thousands separators."""

    low: int | None = None
    high: int | None = None
    what: str = ""  # says what the number is, bounds included ("a zlib level from 0 to 9")

    def describe(self) -> str:
        if self.what:
            return self.what
        if self.low is not None and self.high is not None:
            return f"a whole number from {self.low:,} to {self.high:,}"
        if self.low is not None:
            return f"a whole number >= {self.low:,}"
        return "a whole number" if self.high is None else f"a whole number <= {self.high:,}"

    def check(self, value: Any, where: str, ctx: Context) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            ctx.fail(where, f"expected {self.describe()}, got {_show(value)}")
        if (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            ctx.fail(where, f"expected {self.describe()}, got {value:,}")


def _check_spec(spec: Mapping, where: str, ctx: Context) -> None:
    try:
        check(spec)
    except DistributionError as err:
        ctx.fail(where, f"bad distribution: {err}")
    except (TypeError, ValueError) as err:  # e.g. weights that are not numbers
        ctx.fail(where, f"bad distribution: {err}")


def _spec_values(spec: Mapping) -> list[Any]:
    """The values a distribution is written with (bounds, mode, mean, choices)."""
    if spec.get("dist") == "choice":
        values = spec.get("values")
        return list(values) if isinstance(values, list) else []
    return [spec[k] for k in ("low", "mode", "high", "mean", "median") if k in spec]


def _month_range(spec: Mapping) -> tuple[float, float]:
    if spec["dist"] == "choice":
        values = [parse_month(v) for v in spec["values"]]
        return min(values), max(values)
    return float(parse_month(spec["low"])) if "low" in spec else -math.inf, (
        float(parse_month(spec["high"])) if "high" in spec else math.inf
    )


@dataclass(frozen=True)
class Month(Node):
    sampled: bool = False  # read with ParameterView.month: may be a distribution of months
    none: bool = False  # "none" means "never" here
    in_window: bool = False  # a one-off event: outside the window it would be silently lost

    def describe(self) -> str:
        text = "a month 'YYYY-MM'"
        if self.in_window:
            text += " within the scenario window"
        if self.none:
            text += ' or "none" (never)'
        return text + (" or a distribution of months" if self.sampled else "")

    def check(self, value: Any, where: str, ctx: Context) -> None:
        if is_distribution(value):
            self._check_distribution(value, where, ctx)
        elif value == "none" and self.none:
            return
        elif value == "none":
            ctx.fail(where, f'"none" is not allowed here; expected {self.describe()}')
        elif isinstance(value, dt.date):
            ctx.fail(
                where,
                f'expected a month written as text ("{value:%Y-%m}"), got the TOML date {_show(value)}',
            )
        elif not isinstance(value, str):
            ctx.fail(where, f"expected {self.describe()}, got {_show(value)}")
        else:
            try:
                index = parse_month(value)
            except MonthError as err:
                ctx.fail(where, str(err))
            self._check_window(index, index, where, ctx)

    def _check_distribution(self, spec: Mapping, where: str, ctx: Context) -> None:
        if not self.sampled:
            ctx.fail(
                where,
                f"expected {self.describe()}; this month is not sampled, so it cannot be a distribution",
            )
        _check_spec(spec, where, ctx)
        for v in _spec_values(spec):
            if not isinstance(v, str):
                ctx.fail(
                    where, f"expected a distribution of months 'YYYY-MM', got the value {_show(v)}"
                )
            try:
                parse_month(v)
            except MonthError as err:
                ctx.fail(where, f"bad distribution: {err}")
        self._check_window(*_month_range(spec), where, ctx)

    def _check_window(self, lo: float, hi: float, where: str, ctx: Context) -> None:
        if not self.in_window or ctx.window is None:
            return
        first, last = ctx.window
        if lo < first or hi > last:
            window = f"{format_month(first)}..{format_month(last)}"
            alternative = ' (or "none")' if self.none else ""
            ctx.fail(where, f"expected a month within the scenario window {window}{alternative}")


@dataclass(frozen=True)
class Text(Node):
    non_empty: bool = False
    what: str = ""  # what the text is ("the name of a scenario")

    def describe(self) -> str:
        return self.what or ("a non-empty text" if self.non_empty else "a text")

    def check(self, value: Any, where: str, ctx: Context) -> None:
        if not isinstance(value, str) or (self.non_empty and not value):
            ctx.fail(where, f"expected {self.describe()}, got {_show(value)}")


@dataclass(frozen=True)
class Flag(Node):
    def describe(self) -> str:
        return "true or false"

    def check(self, value: Any, where: str, ctx: Context) -> None:
        if not isinstance(value, bool):
            ctx.fail(where, f"expected true or false, got {_show(value)}")


@dataclass(frozen=True)
class Choice(Node):
    """One of a fixed set of words (units, kinds, delivery profiles)."""

    options: tuple[str, ...]
    what: str

    def describe(self) -> str:
        return f"a {self.what}: {', '.join(self.options)}"

    def check(self, value: Any, where: str, ctx: Context) -> None:
        if not isinstance(value, str) or value not in self.options:
            ctx.fail(
                where,
                f"unknown {self.what} {_show(value)}; expected one of {', '.join(self.options)}",
            )


@dataclass(frozen=True)
class Ref(Node):
    """The name of something the scenario defines: a good, route, supplier, war phase, party."""

    kind: str  # key of Context.names
    what: str
    plural: str = ""

    def describe(self) -> str:
        return f"the name of a {self.what}"

    def check(self, value: Any, where: str, ctx: Context) -> None:
        valid = ctx.names.get(self.kind, ())
        if not isinstance(value, str) or value not in valid:
            plural = self.plural or f"{self.what}s"
            ctx.fail(
                where,
                f"unknown {self.what} {_show(value)}; {plural} are: {', '.join(valid) or '(none)'}",
            )


@dataclass(frozen=True)
class Year(Node):
    """A calendar year written as a table key ("1940")."""

    def describe(self) -> str:
        return "a year 1934..1945"

    def check(self, value: Any, where: str, ctx: Context) -> None:
        if not (
            isinstance(value, str) and re.fullmatch(r"\d{4}", value) and 1934 <= int(value) <= 1945
        ):
            ctx.fail(where, f"expected a year 1934..1945 as the key, got {_show(value)}")


@dataclass(frozen=True)
class Anything(Node):
    """Any value (a treaty rule registered in model.treaties.rules without a schema here)."""

    def describe(self) -> str:
        return "any value"

    def check(self, value: Any, where: str, ctx: Context) -> None:
        return


@dataclass(frozen=True)
class Identifier(Node):
    """A scenario's ``name``: an identifier (:data:`IDENTIFIER`), never a path.

    The name labels the scenario in tables and figures and becomes a file name inside a
    result folder (``scenarios/<name>.toml``), so it may hold no ``/``, ``.``, space or
    markup, and is at most 64 characters.
    """

    def describe(self) -> str:
        return IDENTIFIER_TEXT

    def check(self, value: Any, where: str, ctx: Context) -> None:
        if not is_identifier(value):
            ctx.fail(where, f"expected {IDENTIFIER_TEXT}, got {_show(value)}")


@dataclass(frozen=True)
class Name(Node):
    """A free name chosen by the scenario (an id of a route, supplier, treaty, conquest)."""

    def describe(self) -> str:
        return "a name"

    def check(self, value: Any, where: str, ctx: Context) -> None:
        if not (isinstance(value, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", value)):
            ctx.fail(where, f"expected a name of letters, digits and '_', got {_show(value)}")


@dataclass(frozen=True)
class Matches(Node):
    """A text matching a regular expression (an experiment's name), described by ``what``."""

    pattern: str
    what: str

    def describe(self) -> str:
        return self.what

    def check(self, value: Any, where: str, ctx: Context) -> None:
        if not (isinstance(value, str) and re.fullmatch(self.pattern, value)):
            ctx.fail(where, f"expected {self.what}, got {_show(value)}")


# ---------------------------------------------------------------------------------------
# containers
# ---------------------------------------------------------------------------------------
Rule = Callable[[Mapping[str, Any], str, Context], None]


@dataclass(frozen=True)
class Table(Node):
    """A table with fixed keys."""

    fields: Mapping[str, Node]
    required: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    first: tuple[str, ...] = ()  # keys to check before the others (the names they define)
    empty_ok: bool = False  # an empty table means "none of this" (e.g. no withholding)
    unknown: Callable[[str, Mapping[str, Node]], str] | None = None
    before: tuple[Rule, ...] = ()  # rules checked before the values (a key that rules out others)

    def describe(self) -> str:
        return f"a table with keys {', '.join(self.fields)}"

    def check(self, value: Any, where: str, ctx: Context) -> None:
        if not isinstance(value, Mapping) or is_distribution(value):
            ctx.fail(where, f"expected {self.describe()}, got {_show(value)}")
        if self.empty_ok and not value:
            return
        for key in value:
            if key not in self.fields:
                message = self.unknown(key, self.fields) if self.unknown else None
                ctx.fail(
                    _join(where, key),
                    message or f"unknown key {key!r}; allowed keys here: {', '.join(self.fields)}",
                )
        for key in self.required:
            if key not in value:
                ctx.fail(_join(where, key), f"missing; expected {self.fields[key].describe()}")
        for rule in self.before:
            rule(value, where, ctx)
        order = [k for k in self.first if k in value] + [k for k in value if k not in self.first]
        for key in order:
            self.fields[key].check(value[key], _join(where, key), ctx)
        for rule in self.rules:
            rule(value, where, ctx)


@dataclass(frozen=True)
class MapOf(Node):
    """A table whose keys are names (goods, years, ids) and whose values share one schema."""

    key: Node
    value: Node
    min_len: int = 0
    required: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    what: str = ""  # what the table is ("a table of tag = relative tolerance")

    def describe(self) -> str:
        return self.what or f"a table keyed by {self.key.describe()}"

    def check(self, value: Any, where: str, ctx: Context) -> None:
        if not isinstance(value, Mapping) or is_distribution(value):
            ctx.fail(where, f"expected {self.describe()}, got {_show(value)}")
        if len(value) < self.min_len:
            ctx.fail(
                where, f"expected at least {self.min_len} entr{'y' if self.min_len == 1 else 'ies'}"
            )
        for key in self.required:
            if key not in value:
                ctx.fail(_join(where, key), f"missing; the model needs an entry '{key}' here")
        for key, item in value.items():
            self.key.check(key, _join(where, key), ctx)
            self.value.check(item, _join(where, key), ctx)
        for rule in self.rules:
            rule(value, where, ctx)


@dataclass(frozen=True)
class ListOf(Node):
    item: Node
    min_len: int = 0
    ascending: str | None = None  # entries must be in order of this month key
    max_len: int | None = None
    distinct: bool | str = False  # entries (True) or the tables' values under this key differ
    hint: str = ""  # what to do about too few entries
    what: str = ""  # what the array is ("[low, high]")

    def describe(self) -> str:
        return self.what or f"an array (each {self.item.describe()})"

    def check(self, value: Any, where: str, ctx: Context) -> None:
        if not isinstance(value, list):
            ctx.fail(where, f"expected {self.describe()}, got {_show(value)}")
        if len(value) < self.min_len:
            hint = f" ({self.hint})" if self.hint else ""
            if self.min_len == self.max_len:
                ctx.fail(
                    where,
                    f"expected {self.describe()}: exactly {self.min_len} entries, got {len(value)}",
                )
            ctx.fail(
                where,
                f"expected at least {self.min_len} entr{'y' if self.min_len == 1 else 'ies'}{hint}",
            )
        if self.max_len is not None and len(value) > self.max_len:
            exactly = "exactly" if self.min_len == self.max_len else "at most"
            ctx.fail(
                where,
                f"expected {self.describe()}: {exactly} {self.max_len} entries, got {len(value)}",
            )
        for i, item in enumerate(value):
            self.item.check(item, f"{where}[{i}]", ctx)
        if self.ascending:
            _check_ascending(value, self.ascending, where, ctx)
        if self.distinct:
            _check_distinct(value, self.distinct, where, ctx)


def _check_distinct(items: Sequence[Any], key: bool | str, where: str, ctx: Context) -> None:
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        value = item[key] if isinstance(key, str) else item
        at = f"{where}[{i}]" + (f".{key}" if isinstance(key, str) else "")
        seen = first.setdefault(json.dumps(value, sort_keys=True, default=str), i)
        if seen != i:
            what = f"each {key}" if isinstance(key, str) else "each entry"
            ctx.fail(
                at,
                f"{_show(value)} is listed twice (first at {where}[{seen}]); expected {what} once",
            )


@dataclass(frozen=True)
class FalseOr(Node):
    """``false`` (this is turned off) or a table of ``node``."""

    node: Table

    def describe(self) -> str:
        return f"{self.node.describe()}, or false"

    def check(self, value: Any, where: str, ctx: Context) -> None:
        if value is False:
            return
        if not isinstance(value, Mapping):
            ctx.fail(where, f"expected {self.describe()}, got {_show(value)}")
        self.node.check(value, where, ctx)


# ---------------------------------------------------------------------------------------
# cross-key rules
# ---------------------------------------------------------------------------------------
def _central_month(value: Any) -> int | None:
    """The month index a deterministic run uses, or None for "none"."""
    if value == "none":
        return None
    c = central(value) if is_distribution(value) else value
    return parse_month(c)  # type: ignore[arg-type]


def _check_ascending(items: Sequence[Mapping], key: str, where: str, ctx: Context) -> None:
    months = [_central_month(item[key]) for item in items]
    for i in range(1, len(months)):
        prev, cur = months[i - 1], months[i]
        if cur is not None and prev is not None and cur < prev:
            ctx.fail(
                f"{where}[{i}].{key}",
                f"entries must be in order of '{key}': {format_month(cur)} comes after "
                f"{format_month(prev)} (entry {i - 1})",
            )
