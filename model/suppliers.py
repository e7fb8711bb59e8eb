"""Third-party suppliers: Romania, Sweden, Turkey, the Far East, the United States, ...

One class, several instances defined in data (``[suppliers.<id>]``). Each supplier
offers goods per month within dated windows (``offers``), over one or more route groups
(``route_groups``, or each of ``routes`` alone). Each month, for each good, it sends its
offer by the group that would deliver the largest share: open routes, the blockade's
interdiction on exposed ones, and -- for paths through the USSR -- only the goods a
transit treaty in force allows (rows 49, 79-84). A share of an offer may be pre-empted
by the blockade (row 121). What is not loaded is sold elsewhere (recorded as the
supplier's own consumption), so a supplier holds no stock from month to month.
"""

from __future__ import annotations

import mesa
import numpy as np

from model.goods import GoodsCatalogue
from model.ledger import Ledger
from model.parameters import ParameterView
from model.routes import Flow, RouteNetwork

TRANSIT_ROUTE = "trans_siberian"


class ThirdPartySupplier(mesa.Agent):
    def __init__(
        self,
        model: mesa.Model,
        supplier_id: str,
        view: ParameterView,
        goods: GoodsCatalogue,
        network: RouteNetwork,
    ):
        super().__init__(model)
        base = f"suppliers.{supplier_id}"
        table = view.raw(base)
        self.supplier_id = supplier_id
        self.label = str(table.get("name", supplier_id))
        self.goods = goods
        R, G, T = view.n_runs, goods.n, model.window.n_months
        self.offers = [
            (
                goods.index(o["good"]),
                view.month(f"{base}.offers[{i}].from"),
                view.month(f"{base}.offers[{i}].to"),
                view.number(f"{base}.offers[{i}].per_month"),
            )
            for i, o in enumerate(table.get("offers", []))
        ]
        groups = table.get("route_groups") or [[r] for r in table["routes"]]
        self.flows = [
            Flow(
                f"{supplier_id}->germany via {'+'.join(g)}",
                supplier_id,
                "germany",
                network.path(g),
                R,
                G,
                T,
                model.record,
            )
            for g in groups
        ]
        self.ledger = Ledger(supplier_id, np.zeros((R, G)), T, model.record)
        self.network = network

    def offer(self, month: int) -> np.ndarray:
        out = np.zeros_like(self.ledger.stock)
        for good, first, last, amount in self.offers:
            out[:, good] += amount * ((first <= month) & (month <= last))
        return out

    def plan(self, month: int, effectiveness: np.ndarray, transit_allowed: np.ndarray, preempted: np.ndarray) -> None:
        """Produce this month's offer and route it: sets each flow's request."""
        offer = self.offer(month)
        if self.ledger.record:
            self.ledger.produce(offer)
        available = offer * (1.0 - preempted)
        best = np.zeros_like(offer)
        choice = np.full(offer.shape, -1)
        for k, flow in enumerate(self.flows):
            share = self.network.deliverable_share(flow.routes, month, effectiveness)[:, None]
            share = np.broadcast_to(share, offer.shape)
            if any(r.id == TRANSIT_ROUTE for r in flow.routes):
                share = share * transit_allowed
            better = share > best + 1e-12
            best = np.where(better, share, best)
            choice = np.where(better, k, choice)
        for k, flow in enumerate(self.flows):
            flow.request = available * (choice == k)

    def settle(self) -> None:
        """What was not loaded this month is sold elsewhere or pre-empted."""
        if self.ledger.record:
            self.ledger.consume(self.ledger.stock)
