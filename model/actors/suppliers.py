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

from model.world.goods import GoodsCatalogue
from model.world.ledger import Ledger
from model.world.parameters import ParameterView
from model.world.routes import TRANSIT_ROUTE, FlowSet, FlowSpec, RouteNetwork


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
        self.goods = goods
        R, G, T = view.n_runs, goods.n, model.window.n_months
        raw_offers = view.raw(f"{base}.offers")
        self.offered_goods = tuple(sorted({goods.index(o["good"]) for o in raw_offers}))
        self.offers = [
            (
                self.offered_goods.index(goods.index(o["good"])),
                view.month(f"{base}.offers[{i}].from"),
                view.month(f"{base}.offers[{i}].to"),
                view.number(f"{base}.offers[{i}].per_month"),
            )
            for i, o in enumerate(raw_offers)
        ]
        groups = view.raw(f"{base}.route_groups") or [[r] for r in table["routes"]]
        self.flow_specs = [
            FlowSpec(
                f"{supplier_id}->germany via {'+'.join(g)}",
                supplier_id,
                "germany",
                tuple(g),
                self.offered_goods,
            )
            for g in groups
        ]
        self.paths = [network.path(g) for g in groups]
        self.crosses_ussr = [any(r == TRANSIT_ROUTE for r in g) for g in groups]
        self.flow_index: list[int] = []  # positions in the model's FlowSet, set by the model
        self.purchase_index: list[int] = []  # flows of goods the USSR buys from this supplier
        self.ledger = Ledger(supplier_id, np.zeros((R, G)), T, model.record)
        self.network = network
        self.route_groups = [list(g) for g in groups]
        self.extra: np.ndarray | None = None  # (R, G) bought beyond the offers this month

    def offer(self, months: np.ndarray) -> np.ndarray:
        """The offers in ``months`` (T, 1): (T, offered goods, R)."""
        out = np.zeros((len(months), len(self.offered_goods), self.ledger.stock.shape[0]))
        for k, first, last, amount in self.offers:
            out[:, k] += amount * ((first <= months) & (months <= last))
        return out

    def route_months(
        self,
        months: np.ndarray,
        effectiveness: np.ndarray,
        transit_allowed: np.ndarray,
        preempted: np.ndarray | None,
    ) -> None:
        """Route every month of the window at once: the offers (T, goods, R), the share the
        blockade leaves, and per route group whether it is the best (and the next best) for a
        good and run -- all of it depends on the month alone (``months`` (T, 1), the blockade's
        ``effectiveness`` (T, R), the goods a transit treaty allows (T, R, G), the pre-empted
        share (T, R, G) or None); :meth:`plan` reads one month of it."""
        self.offers_by_month = offer = self.offer(months)
        cols = list(self.offered_goods)
        self.kept_by_month = (
            1.0 - preempted[..., cols].swapaxes(1, 2) if preempted is not None else None
        )
        # per month, good and run: the route group that delivers the largest share, and the next best
        best, second = np.zeros_like(offer), np.zeros_like(offer)
        choice, fallback = np.full(offer.shape, -1), np.full(offer.shape, -1)
        for k, path in enumerate(self.paths if len(self.paths) > 1 else []):
            share = self.network.deliverable_share(path, months, effectiveness)[:, None, :]
            share = (
                share * transit_allowed[..., cols].swapaxes(1, 2)
                if self.crosses_ussr[k]
                else np.broadcast_to(share, offer.shape)
            )
            better = share > best + 1e-12
            runner_up = ~better & (share > second + 1e-12)
            second = np.where(better, best, np.where(runner_up, share, second))
            fallback = np.where(better, choice, np.where(runner_up, k, fallback))
            best = np.where(better, share, best)
            choice = np.where(better, k, choice)
        self.chosen_by_month = [choice == k for k in range(len(self.paths))]
        self.fallback_by_month = [fallback == k for k in range(len(self.paths))]

    def plan(self, step: int, flows: FlowSet) -> None:
        """This month's offer, routed: sets the requests of this supplier's flows."""
        if not self.offered_goods:
            return
        offer = self.offers_by_month[step]
        cols = list(self.offered_goods)
        if self.extra is not None:  # Germany's stockpile purchases (model.actors.stockpiling)
            offer = offer + self.extra[:, cols].T
        if self.ledger.record:
            dense = np.zeros_like(self.ledger.stock)
            dense[:, cols] = offer.T
            self.ledger.produce(dense)
        kept = self.kept_by_month
        available = offer * kept[step] if kept is not None else offer
        if len(self.paths) == 1:
            flows.requests[flows.lanes[self.flow_index[0]]] = available
            return
        self.planned_step = step
        for k, f in enumerate(self.flow_index):
            flows.requests[flows.lanes[f]] = available * self.chosen_by_month[k][step]

    def spill(self, unloaded: np.ndarray, flows: FlowSet, second: np.ndarray) -> None:
        """Send what the first route group had no room for by the next-best group (adds to ``second``)."""
        if len(self.flow_index) < 2 or not self.offered_goods:
            return
        left = sum(unloaded[flows.lanes[f]] for f in self.flow_index)  # (offered goods, R)
        for k, f in enumerate(self.flow_index):
            second[flows.lanes[f]] += left * self.fallback_by_month[k][self.planned_step]

    def settle(self, flows: FlowSet) -> None:
        """Ship what was loaded; what was not is sold elsewhere or pre-empted (audited runs only)."""
        if self.ledger.record:
            self.ledger.ship(flows.to_goods(flows.loaded, self.flow_index + self.purchase_index))
            self.ledger.consume(self.ledger.stock)
