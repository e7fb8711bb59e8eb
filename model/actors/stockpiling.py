"""Germany's stockpiling of critical goods (the Four Year Plan, from 1936): a rule, not dates.

``[germany.stockpiling]`` names a window (``from``..``to``), a foreign-exchange limit
(``fx_rm_per_month``: RM a month that may be spent on purchases beyond the normal trade,
at reference prices) and, per good, a target in months of demand and the supplier it is
bought from (``goods.<good> = {target_months, supplier}``). Each month of the window:

1. the gap of each good is ``target_months x last month's demand - stock - purchases
   still in transit`` (those of the last ``transit`` months of the supplier's route), if
   positive;
2. the gaps are valued at reference prices; if their value exceeds the foreign-exchange
   limit, every gap is cut in the same proportion (the Reichsbank rationed foreign
   exchange across raw materials, not good by good);
3. the purchases are added to the named suppliers' offers for the month, and travel like
   the rest of their cargo (routes, capacity, blockade).

So the stock rises towards the target as fast as the exchange allows and no faster; a
counterfactual without the Plan (``from = "none"``) or with less exchange moves the stock
through the rule. Nothing is injected: every tonne arrives by a route.
"""

from __future__ import annotations

import numpy as np

from model.world.goods import GoodsCatalogue
from model.world.parameters import NEVER, ParameterView
from model.world.routes import RouteNetwork


class Stockpiling:
    """The stockpiling rule of ``germany.stockpiling`` (absent: never buys)."""

    def __init__(
        self,
        view: ParameterView,
        goods: GoodsCatalogue,
        network: RouteNetwork,
        supplier_routes: dict[str, list[list[str]]],
    ):
        base = "germany.stockpiling"
        table = view.raw(base) or {}
        R, G = view.n_runs, goods.n
        self.enabled = bool(table)
        self.first = view.month(f"{base}.from", "none") if table else np.full(R, NEVER)
        self.last = view.month(f"{base}.to", "none") if table else np.full(R, NEVER)
        self.fx_rm = view.number(f"{base}.fx_rm_per_month", 0.0)
        self.price = goods.price_rm_per_unit
        self.target = np.zeros((R, G))
        self.supplier_of: dict[int, str] = {}
        self.lag = np.zeros(G, dtype=np.int64)  # months a purchase travels
        for good, entry in (table.get("goods", {}) or {}).items():
            g = goods.index(good)
            self.target[:, g] = view.number(f"{base}.goods.{good}.target_months")
            supplier = str(entry["supplier"])
            self.supplier_of[g] = supplier
            first_group = supplier_routes[supplier][0]
            self.lag[g] = sum(r.transit_months for r in network.path(first_group))
        self.history: list[np.ndarray] = []  # purchases of past months, (R, G)
        self.bought = np.zeros((R, G))  # this month's purchases

    def purchases(self, month: int, stock: np.ndarray, demand: np.ndarray) -> dict[str, np.ndarray]:
        """This month's purchases by supplier, (R, G) each; records them."""
        R, G = stock.shape
        bought = np.zeros((R, G))
        if self.enabled and self.supplier_of:
            live = (self.first <= month) & (month <= self.last)
            pending = np.zeros((R, G))
            for k, past in enumerate(reversed(self.history)):
                pending += past * (k < self.lag)[None, :]
            gap = np.maximum(self.target * demand - stock - pending, 0.0) * live[:, None]
            value = (gap * self.price).sum(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                scale = np.where(
                    value > self.fx_rm, self.fx_rm / np.where(value > 0, value, 1.0), 1.0
                )
            bought = gap * scale[:, None]
        self.bought = bought
        self.history.append(bought)
        if len(self.history) > int(self.lag.max(initial=0)) + 1:
            self.history.pop(0)
        out: dict[str, np.ndarray] = {}
        for g, supplier in self.supplier_of.items():
            out.setdefault(supplier, np.zeros((R, G)))[:, g] = bought[:, g]
        return out
