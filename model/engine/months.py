"""What depends on the month alone, worked out for every month of the window at once.

Much of a month is fixed when a model is built: the war phase, the treaties in force, the
blockade's effectiveness, the dues the treaties make fall due, the goods a transit treaty
lets through, the USSR's purchases abroad and how each supplier routes its offers. These
are computed here once, with a leading month axis (T, ...), by the same functions the month
would call (given the months as a column (T, 1)); a month then reads its row. The values are
bitwise those of a month-by-month evaluation (the same element-wise operations in the same
order), and a month's Python and numpy calls shrink to a few lookups, which is what one run
(R = 1) costs (docs/architecture.md §6).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.treaties.month import TreatyMonth

if TYPE_CHECKING:
    from model.engine.simulation import PactModel


class MonthTables:
    """Per-month arrays of a model, (T, R) or (T, ..., R, G); row ``t`` is month ``t``."""

    def __init__(self, model: PactModel):
        T, R, G = model.window.n_months, model.n_runs, model.goods.n
        months = model.window.first + np.arange(T)[:, None]  # (T, 1)
        invasion = model.invasion_month
        # 1. events. The invasion month is the last month of trade (the June 1941 trains
        # crossed, row 62).
        self.invaded = invasion <= months
        self.trade_ended = invasion < months
        self.war_phase = model.germany.war_phase(months, self.invaded)
        self.active = {t.id: t.active(months, self.trade_ended) for t in model.treaties}
        self.trading = np.zeros((T, R), dtype=bool)
        self.trading_since = np.broadcast_to(months, (T, R)).copy()
        for t in model.treaties:
            if t.german_soviet:
                active = self.active[t.id]
                self.trading |= active
                self.trading_since = np.where(
                    active, np.minimum(self.trading_since, t.first), self.trading_since
                )
        # 2. German output, captures and demand
        model.germany.month_tables(model.window.first, months, self.war_phase)
        # 3. the treaties' obligations (they depend on the month alone: month.TreatyRule)
        state = TreatyMonth(R, G, model.soviet_union.n_tiers)
        state.soviet_due = np.zeros((len(state.soviet_due), T, R, G))
        state.german_fixed_rm = np.zeros((T, R))
        state.transit = np.zeros((T, R, G), dtype=bool)
        for t in model.treaties:
            t.act("obligations", months, self.active[t.id], state)
        self.soviet_due = np.ascontiguousarray(np.moveaxis(state.soviet_due, 0, 1))  # (T, K, R, G)
        self.german_fixed_rm = state.german_fixed_rm
        self.transit = state.transit
        # purchases abroad on Germany's behalf: (T, R) of the one good each flow carries
        self.purchases = state.purchases
        # routes and flows: capacities, open routes, the blockade's share of each flow
        for route in model.network.routes.values():
            route.tabulate(model.window.first, T)
        model.flows.tabulate(model.blockade.import_by_month, model.blockade.export_by_month)
        # the suppliers' offers and routes (with the blockade's pre-emption)
        for s in model.suppliers:
            preempted = model.blockade.preempted_share(s.supplier_id, months, G)
            s.route_months(months, model.blockade.import_by_month, self.transit, preempted)

    def treaty_month(self, model: PactModel, t: int) -> TreatyMonth:
        """Month ``t``'s :class:`TreatyMonth` with its obligations filled in."""
        state = TreatyMonth(model.n_runs, model.goods.n, model.soviet_union.n_tiers)
        state.soviet_due = self.soviet_due[t]
        state.german_fixed_rm = self.german_fixed_rm[t]
        state.transit = self.transit[t]
        return state


def tabulated_bytes(model: PactModel) -> int:
    """Bytes of a model's month tables (these, Germany's, the blockade's, the routes', the
    flows' and the suppliers' ``*_by_month``): memory a model holds beside its trajectories."""
    holders = [
        model.tables, model.germany, model.blockade, model.flows,
        *model.network.routes.values(), *model.suppliers,
    ]  # fmt: skip
    total = 0
    for holder in holders:
        for name, value in vars(holder).items():
            if holder is not model.tables and not name.endswith("_by_month"):
                continue
            if isinstance(value, dict):
                value = list(value.values())
            for array in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(array, np.ndarray):
                    total += array.nbytes
    return total
