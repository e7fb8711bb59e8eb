"""Routes and the flows that travel them.

Every flow of goods between two holders travels a path of one or more routes (sea lanes,
the Baltic, the Danube and rail, the German-Soviet border railway with its change of
gauge, the Trans-Siberian). A route has a capacity in tonnes per month (less in the ice
months where it has them), a transit time in whole months, a blockade exposure, and may
open or close on given months. Each month (DESIGN.md §5, phase 5):

1. every flow states its request (R, G) in each good's unit;
2. each route's capacity is shared among the flows that use it in proportion to their
   tonnage; a flow is scaled by its tightest route;
3. the blockade interdicts ``1 - prod(1 - effectiveness * exposure)`` of what is loaded on
   an exposed path; interdicted cargo is a recorded loss;
4. the rest travels ``sum(transit_months)`` and arrives at the destination.

Cargo in transit is itself a holder with a :class:`~model.ledger.Ledger`, so conservation
covers it: loaded = arrivals + losses + change in transit stock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from model.ledger import Ledger
from model.parameters import ParameterView


@dataclass
class Route:
    id: str
    capacity_t_per_month: np.ndarray  # (R,)
    transit_months: int
    blockade_exposure: float
    open_from: np.ndarray  # (R,) month index
    close_from: np.ndarray  # (R,) month index (NEVER = stays open)
    winter_months: frozenset[int] = frozenset()
    winter_capacity_share: float = 1.0
    freight_discount_share: float = 0.0

    @classmethod
    def from_view(cls, route_id: str, view: ParameterView) -> Route:
        base = f"routes.{route_id}"
        return cls(
            id=route_id,
            capacity_t_per_month=view.number(f"{base}.capacity_t_per_month"),
            transit_months=int(view.raw(f"{base}.transit_months", 0)),
            blockade_exposure=float(view.raw(f"{base}.blockade_exposure", 0.0)),
            open_from=view.month(f"{base}.open_from", "1934-01"),
            close_from=view.month(f"{base}.close_from", "none"),
            winter_months=frozenset(view.raw(f"{base}.winter_months", [])),
            winter_capacity_share=float(view.raw(f"{base}.winter_capacity_share", 1.0)),
            freight_discount_share=float(view.raw(f"{base}.freight_discount_share", 0.0)),
        )

    def is_open(self, month: int) -> np.ndarray:
        return (self.open_from <= month) & (month < self.close_from)

    def capacity(self, month: int) -> np.ndarray:
        share = self.winter_capacity_share if (month % 12 + 1) in self.winter_months else 1.0
        return self.capacity_t_per_month * share * self.is_open(month)


@dataclass
class Flow:
    """Goods moving from one holder to another over a path of routes."""

    name: str
    origin: str
    destination: str
    routes: tuple[Route, ...]
    n_runs: int
    n_goods: int
    n_months: int
    record: bool = True
    request: np.ndarray = field(init=False)
    pipeline: np.ndarray = field(init=False)
    cargo: Ledger = field(init=False)

    def __post_init__(self) -> None:
        self.transit_months = sum(r.transit_months for r in self.routes)
        shape = (self.n_runs, self.n_goods)
        self.request = np.zeros(shape)
        self.pipeline = np.zeros((self.transit_months + 1, *shape))
        self.cargo = Ledger(f"in_transit:{self.name}", np.zeros(shape), self.n_months, self.record)
        self.loaded = np.zeros(shape)
        self.lost = np.zeros(shape)
        self.arrived = np.zeros(shape)


class RouteNetwork:
    """All routes of a scenario, and the monthly shipping of every flow over them."""

    def __init__(self, view: ParameterView):
        self.routes = {rid: Route.from_view(rid, view) for rid in view.raw("routes", {})}

    def path(self, route_ids: Sequence[str]) -> tuple[Route, ...]:
        return tuple(self.routes[r] for r in route_ids)

    @staticmethod
    def loss_share(path: Sequence[Route], effectiveness: np.ndarray) -> np.ndarray:
        """Share of a path's cargo the blockade interdicts, per run."""
        kept = np.ones_like(effectiveness)
        for route in path:
            if route.blockade_exposure:
                kept = kept * (1.0 - effectiveness * route.blockade_exposure)
        return 1.0 - kept

    def deliverable_share(self, path: Sequence[Route], month: int, effectiveness: np.ndarray) -> np.ndarray:
        """Share of a request that would arrive over ``path`` this month (R,), ignoring capacity."""
        open_ = np.ones(effectiveness.shape, dtype=bool)
        for route in path:
            open_ &= route.is_open(month)
        return open_ * (1.0 - self.loss_share(path, effectiveness))

    def scale(self, flows: Sequence[Flow], month: int, tonnes_per_unit: np.ndarray) -> list[np.ndarray]:
        """Per flow, the share (R,) of its request that capacity lets it load."""
        tonnage = [f.request @ tonnes_per_unit for f in flows]
        totals: dict[str, np.ndarray] = {}
        for f, t in zip(flows, tonnage, strict=True):
            for r in f.routes:
                totals[r.id] = totals.get(r.id, 0.0) + t
        route_scale = {}
        for rid, total in totals.items():
            route = self.routes[rid]
            cap = route.capacity(month)
            with np.errstate(divide="ignore", invalid="ignore"):
                s = np.where(total > 0, np.minimum(1.0, cap / np.where(total > 0, total, 1.0)), 1.0)
            route_scale[rid] = s * route.is_open(month)
        out = []
        for f in flows:
            s = np.ones(tonnage[0].shape)
            for r in f.routes:
                s = np.minimum(s, route_scale[r.id])
            out.append(s)
        return out

