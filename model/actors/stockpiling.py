"""Germany's stockpiling of critical goods (the Four Year Plan, from 1936): a rule, not dates.

Each rule ``[germany.stockpiling.<name>]`` names a window (``from``..``to``), optionally a
foreign-exchange limit (``fx_rm_per_month``: RM a month the rule may spend, at the month's
prices; absent: unlimited) and, per good, a target in months of demand and the supplier it
is bought from (``goods.<good> = {target_months, supplier}``). Each month of its window:

1. the gap of each good is what brings the stock to ``target_months`` of this month's
   demand ``D`` (before rationing) at the end of the month the purchase arrives, ``lag`` months on (the
   transit of the supplier's first route): ``target x D + (lag + 1) x D - lag x P - stock -
   purchases still in transit``, ``P`` this month's production, if positive;
2. the gaps are valued at the month's prices (``goods.price_by_period``, else the
   reference); if their value exceeds the foreign-exchange limit, every gap is cut in the same proportion (the Reichsbank rationed foreign
   exchange across raw materials, not good by good). Goods bought from the rule's
   ``clearing_suppliers`` are paid on a clearing account, not in foreign exchange (O11:
   Romania's oil of 1938 was paid "(clearing)"): they are outside the limit and bounded
   only by the supplier's routes;
3. the purchases are added to the named suppliers' offers for the month, and travel like
   the rest of their cargo (routes, capacity, blockade).

Rules act in the file's order, and a later rule's holdings (what it bought, less what has
been drawn from the stock, which comes out of the earlier rules' part first) are set apart
from an earlier rule's position: the normal trade keeps covering use while the Plan's
stockpile grows on top of it, instead of the one crowding out the other.

So the stock rises towards the target as fast as the exchange allows and no faster; a
counterfactual without the Plan (``from = "none"``) or with less exchange moves the stock
through the rule. Nothing is injected: every tonne arrives by a route.
"""

from __future__ import annotations

import numpy as np

from model.world.goods import GoodsCatalogue
from model.world.kinds import GOOD, MONTH, QUANTITY, START, SUPPLIER, offered_by_supplier, ordered
from model.world.nodes import ListOf, MapOf, Name, Table
from model.world.parameters import ParameterView
from model.world.routes import RouteNetwork

# ``[germany.stockpiling.<name>]``: one purchase rule each
SCHEMA = MapOf(
    Name(),
    Table(
        {
            "from": START,
            "to": MONTH,
            "fx_rm_per_month": QUANTITY,
            "clearing_suppliers": ListOf(SUPPLIER, distinct=True),
            "goods": MapOf(
                GOOD,
                Table(
                    {"target_months": QUANTITY, "supplier": SUPPLIER},
                    required=("target_months", "supplier"),
                ),
                min_len=1,
            ),
        },
        required=("from", "to", "goods"),
        rules=(ordered(), offered_by_supplier),
    ),
)


class Stockpiling:
    """The purchase rules of ``germany.stockpiling`` (none: Germany buys only the offers)."""

    def __init__(
        self,
        view: ParameterView,
        goods: GoodsCatalogue,
        network: RouteNetwork,
        supplier_routes: dict[str, list[list[str]]],
    ):
        R, G = view.n_runs, goods.n
        self.goods = goods  # prices at the month's (goods.price_by_period)
        # (first (R,), last (R,), fx (R,) or None, target (R, G), goods (G,) bool,
        #  paid on a clearing (G,) bool)
        self.rules = []
        self.supplier_of: dict[int, str] = {}
        self.lag = np.zeros(G, dtype=np.int64)  # months a purchase travels
        for name, table in view.raw("germany.stockpiling").items():
            base = f"germany.stockpiling.{name}"
            target = np.zeros((R, G))
            listed = np.zeros(G, dtype=bool)
            cleared = np.zeros(G, dtype=bool)
            clearing = {str(s) for s in view.raw(f"{base}.clearing_suppliers")}
            for good, entry in table["goods"].items():
                g = goods.index(good)
                target[:, g] = view.number(f"{base}.goods.{good}.target_months")
                listed[g] = True
                supplier = str(entry["supplier"])
                cleared[g] = supplier in clearing
                self.supplier_of.setdefault(g, supplier)
                group = supplier_routes[supplier][0]
                self.lag[g] = max(self.lag[g], sum(r.transit_months for r in network.path(group)))
            fx = view.number(f"{base}.fx_rm_per_month") if "fx_rm_per_month" in table else None
            self.rules.append(
                (view.month(f"{base}.from"), view.month(f"{base}.to"), fx, target, listed, cleared)
            )
        self.enabled = bool(self.rules)
        self.history: list[np.ndarray] = []  # purchases of past months, (R, G)
        self.bought = np.zeros((R, G))  # this month's purchases
        # what each rule has bought and is still held (bought or in transit, less any draw on
        # the stock): a later rule's holdings are set apart from an earlier rule's position,
        # so the normal trade keeps covering use while the Plan's stockpile grows
        self.held = [np.zeros((R, G)) for _ in self.rules]

    def purchases(
        self, month: int, stock: np.ndarray, demand: np.ndarray, production: np.ndarray
    ) -> dict[str, np.ndarray]:
        """This month's purchases by supplier, (R, G) each; records them.

        The rules act in the order of the file, each on what the earlier ones left: a normal
        trade that keeps a working stock first, then a stockpiling plan within its exchange.
        """
        R, G = stock.shape
        pending = np.zeros((R, G))
        for k, past in enumerate(reversed(self.history)):
            pending += past * (k < self.lag)[None, :]
        bought = np.zeros((R, G))
        lag = self.lag[None, :]
        use_to_arrival = (lag + 1) * demand - lag * production
        position = stock + pending
        remaining = position.copy()  # a drawn stock comes out of the earlier rules' part first
        for k in reversed(range(len(self.rules))):
            self.held[k] = np.minimum(self.held[k], np.maximum(remaining, 0.0))
            remaining = remaining - self.held[k]
        for k, (first, last, fx, target, listed, cleared) in enumerate(self.rules):
            live = ((first <= month) & (month <= last))[:, None] & listed[None, :]
            need = target * demand + use_to_arrival
            apart = sum((self.held[j] for j in range(k + 1, len(self.rules))), np.zeros((R, G)))
            gap = np.maximum(need - (position - apart) - bought, 0.0) * live
            if fx is not None:  # what is paid on a clearing is outside the limit
                value = (gap * self.goods.price_at(month) * ~cleared).sum(axis=1)
                with np.errstate(divide="ignore", invalid="ignore"):
                    scale = np.where(value > fx, fx / np.where(value > 0, value, 1.0), 1.0)
                gap = np.where(cleared[None, :], gap, gap * scale[:, None])
            bought = bought + gap
            self.held[k] = self.held[k] + gap
        self.bought = bought
        self.history.append(bought)
        if len(self.history) > int(np.max(self.lag, initial=0)) + 1:
            self.history.pop(0)
        out: dict[str, np.ndarray] = {}
        for g, supplier in self.supplier_of.items():
            out.setdefault(supplier, np.zeros((R, G)))[:, g] = bought[:, g]
        return out
