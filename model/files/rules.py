"""The cross-key rules attached to tables of the file schemas (:mod:`model.files.nodes`).

A rule is called with a table whose values have been checked, the table's key path and the
:class:`~model.files.nodes.Context`; it raises through ``ctx.fail`` or returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from model.files.nodes import Context, Rule, _central_month, _join
from model.world.calendar import format_month


def ordered(start: str = "from", end: str = "to") -> Rule:
    """``end`` must not come before ``start`` (central values; "none" never starts)."""

    def rule(table: Mapping[str, Any], where: str, ctx: Context) -> None:
        if start not in table or end not in table:
            return
        first, last = _central_month(table[start]), _central_month(table[end])
        if first is not None and last is not None and last < first:
            ctx.fail(
                _join(where, end),
                f"'{end}' ({format_month(last)}) is before '{start}' ({format_month(first)}); "
                f"expected '{end}' on or after '{start}'",
            )

    return rule


def exactly_one(*keys: str) -> Rule:
    def rule(table: Mapping[str, Any], where: str, ctx: Context) -> None:
        present = [k for k in keys if k in table]
        if len(present) != 1:
            found = f"found {', '.join(present)}" if present else "found neither"
            ctx.fail(where, f"expected exactly one of {', '.join(keys)}; {found}")

    return rule


def together(trigger: tuple[str, ...], needed: tuple[str, ...]) -> Rule:
    """If any key of ``trigger`` is present, every key of ``needed`` must be too."""

    def rule(table: Mapping[str, Any], where: str, ctx: Context) -> None:
        if any(k in table for k in trigger):
            for key in needed:
                if key not in table:
                    given = next(k for k in trigger if k in table)
                    ctx.fail(_join(where, key), f"missing; required when '{given}' is given")

    return rule


def at_least_one(*keys: str) -> Rule:
    def rule(table: Mapping[str, Any], where: str, ctx: Context) -> None:
        if not any(k in table for k in keys):
            ctx.fail(where, f"expected one of {', '.join(keys)}; found neither")

    return rule


def offered_by_supplier(table: Mapping[str, Any], where: str, ctx: Context) -> None:
    """A stockpiled good is bought from a supplier that trades it (has an offer of it)."""
    for good, entry in (table.get("goods") or {}).items():
        supplier = entry.get("supplier")
        offered = ctx.names.get(f"offered by {supplier}", ())
        if supplier is not None and good not in offered:
            ctx.fail(
                _join(_join(_join(where, "goods"), good), "supplier"),
                f"supplier {supplier!r} has no offer of {good!r}: expected a supplier that "
                f"trades it ({', '.join(s for s in ctx.names.get('suppliers', ()) if good in ctx.names.get(f'offered by {s}', ())) or 'none does'})",
            )
