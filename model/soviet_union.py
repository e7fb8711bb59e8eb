"""The Soviet Union: exportable surplus, treaty deliveries, reciprocity, transit.

State: an exportable pool of every good (R, G), which accrues the monthly exportable
surplus (production minus domestic need) and, each August, the exportable share of the
grain harvest (U9, U10), times a per-year factor and a lognormal shock. What is not sold
to Germany within ``pool_cap_months`` of surplus is sold elsewhere or used at home
(recorded as consumption). The USSR also holds the German machinery it receives: its
gains in machinery and technology (DESIGN.md §3).

Each month it ships what the treaties in force make due (quotas and Schedule-C values),
carrying unmet dues forward while any German-Soviet treaty is in force, capped by its
pool; goods under suspension are held back. The decision to suspend is the reciprocity
rule's (rows 38, 51, 53), taken on the clearing account's arrears.
"""

from __future__ import annotations

import mesa
import numpy as np

from model.germany import goods_vector
from model.goods import GoodsCatalogue
from model.ledger import Ledger
from model.parameters import ParameterView


class SovietUnion(mesa.Agent):
    def __init__(self, model: mesa.Model, view: ParameterView, goods: GoodsCatalogue, shocks: dict):
        super().__init__(model)
        R, G = view.n_runs, goods.n
        self.goods = goods
        self.surplus = goods_vector(view, "soviet_union.exportable_surplus_per_month", goods)
        h = view.raw("soviet_union.harvest")
        self.harvest_good = goods.index(h["good"])
        self.harvest_calendar_month = int(h["calendar_month"])
        self.harvest_exportable = view.number("soviet_union.harvest.exportable_t")
        self.harvest_year_factor = {int(y): float(f) for y, f in h.get("year_factor", {}).items()}
        sd = float(h.get("shock_sd", 0.0))
        self.harvest_shock = np.exp(sd * shocks["soviet_harvest"] - sd**2 / 2)
        self.pool_cap_months = view.number("soviet_union.pool_cap_months")[:, None]
        initial = np.zeros((R, G))
        initial[:, self.harvest_good] = view.number("soviet_union.harvest.initial_t", 0.0)
        self.ledger = Ledger("soviet_union", initial, model.window.n_months, model.record)
        self.due_cumulative = np.zeros((R, G))
        self.shipped_cumulative = np.zeros((R, G))
        self.suspended_goods = np.zeros((R, G), dtype=bool)
        self.suspension_months = np.zeros(R)

    def produce(self, month: int, year_position: int) -> None:
        output = self.surplus.copy()
        if month % 12 + 1 == self.harvest_calendar_month:
            factor = self.harvest_year_factor.get(month // 12, 1.0)
            output[:, self.harvest_good] += (
                self.harvest_exportable * factor * self.harvest_shock[:, year_position]
            )
        self.ledger.produce(output)

    def sell_elsewhere(self) -> None:
        """Surplus beyond the pool cap goes to other buyers or home use."""
        cap = self.surplus * self.pool_cap_months
        cap[:, self.harvest_good] = np.maximum(cap[:, self.harvest_good], self.harvest_exportable * 1.2)
        self.ledger.consume(np.maximum(self.ledger.stock - cap, 0.0) * self.goods.raw[None, :])

    def treaty_offer(self, due_this_month: np.ndarray, trading: np.ndarray, suspended: np.ndarray) -> np.ndarray:
        """What the USSR offers to ship this month (R, G), before route capacity."""
        self.due_cumulative += due_this_month
        outstanding = np.maximum(self.due_cumulative - self.shipped_cumulative, 0.0)
        self.suspended_goods = suspended
        offer = np.minimum(outstanding, self.ledger.stock) * trading[:, None] * ~suspended
        return offer

    def record_shipped(self, loaded: np.ndarray) -> None:
        self.shipped_cumulative += loaded
        self.suspension_months += self.suspended_goods.any(axis=1)

    @property
    def machinery_gains_rm(self) -> np.ndarray:
        """German machinery received, by good (R, G), in RM."""
        return self.ledger.stock * self.goods.machinery[None, :] * self.goods.price_rm_per_unit[None, :]
