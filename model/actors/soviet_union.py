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

from model.actors.germany import goods_vector
from model.world.goods import GoodsCatalogue
from model.world.ledger import Ledger
from model.world.parameters import ParameterView


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
        return self.fit_to_border(offer)

    def fit_to_border(self, offer: np.ndarray) -> np.ndarray:
        """Load no more than the border railway can take after the transit already booked.

        The USSR runs its own side of the gauge change: it plans its shipments within the
        tonnage the border stations can transship this month, after the Far Eastern transit
        and the purchases it has accepted (rows 49, 79-85); what does not fit stays in the
        pool and its dues are carried forward. All goods are cut in the same proportion.
        """
        model = self.model
        flows = getattr(model, "flows", None)
        if flows is None:
            return offer
        own = model.soviet_flow
        tonnes = self.goods.tonnes_per_unit
        room = np.full(offer.shape[0], np.inf)
        for route_id in flows.specs[own].route_ids:
            lanes = flows.lanes_of([f for f in flows.through(route_id) if f != own])
            booked = (flows.requests[lanes] * tonnes[flows.lane_good[lanes]][:, None]).sum(axis=0)
            room = np.minimum(room, np.maximum(model.network.routes[route_id].capacity(model.month) - booked, 0.0))
        load = (offer * tonnes).sum(axis=1)  # not a BLAS product: bitwise equal whatever the number of runs
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(load > room, room / np.where(load > 0, load, 1.0), 1.0)
        return offer * scale[:, None]

    def record_shipped(self, loaded: np.ndarray) -> None:
        self.shipped_cumulative += loaded
        self.suspension_months += self.suspended_goods.any(axis=1)

    @property
    def machinery_gains_rm(self) -> np.ndarray:
        """German machinery received, by good (R, G), in RM."""
        return self.ledger.stock * self.goods.machinery[None, :] * self.goods.price_rm_per_unit[None, :]
