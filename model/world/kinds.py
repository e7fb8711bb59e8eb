"""The kinds of value a module declares its parameters with, and the cross-key rules
attached to tables of the file schemas (:mod:`model.world.nodes`).

A kind is a node (``QUANTITY``: non-negative, may be a distribution; ``SHARE``: in [0, 1];
``GOOD``: the name of a good of the scenario, ...). A rule is called with a table whose
values have been checked, the table's key path and the
:class:`~model.world.nodes.Context`; it raises through ``ctx.fail`` or returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from model.world.calendar import format_month
from model.world.nodes import (
    Context,
    ListOf,
    MapOf,
    Month,
    Node,
    Number,
    Ref,
    Rule,
    Table,
    _central_month,
    _join,
)


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


def positive_sum(table: Mapping[str, Any], where: str, ctx: Context) -> None:
    if sum(table.values()) <= 0:
        ctx.fail(where, "the shares of a mix must not all be zero")


# ---------------------------------------------------------------------------------------
# kinds of value ("sampled": read with ParameterView.number / .month, may be a distribution)
# ---------------------------------------------------------------------------------------
QUANTITY = Number(low=0, sampled=True)  # non-negative; may be a distribution
PLAIN_QUANTITY = Number(low=0)
SHARE = Number(low=0, high=1, sampled=True)
PLAIN_SHARE = Number(low=0, high=1)
MONTH = Month(sampled=True)
START = Month(sampled=True, none=True)  # "none": never starts
GOOD = Ref("goods", "good")
ROUTE = Ref("routes", "route")
SUPPLIER = Ref("suppliers", "supplier")
PHASE = Ref("phases", "war phase")
TREATY = Ref("treaties", "treaty")
GOODS_QUANTITIES = MapOf(GOOD, QUANTITY)
MIX = MapOf(GOOD, PLAIN_SHARE, min_len=1, rules=(positive_sum,))
MONTHS = Number(low=1, high=120, integer=True)  # a count of months (intervals, suspensions)


def schedule(value_key: str, value: Node) -> ListOf:
    """Dated entries in order: from each ``from`` on, ``value_key`` holds until the next."""
    return ListOf(
        Table({"from": MONTH, value_key: value}, required=("from", value_key)),
        ascending="from",
    )
