"""Routes and the flows that travel them.

Every flow of goods between two holders travels a path of one or more routes (sea lanes,
the Baltic, the Danube and rail, the German-Soviet border railway with its change of
gauge, the Trans-Siberian). A route has a capacity in tonnes per month (less in the ice
months where it has them), a transit time in whole months, a blockade exposure, and may
open or close on given months. Each month (docs/architecture.md §5, phase 5):

1. every flow states its request (R, G) in each good's unit;
2. each route's capacity is shared among the flows that use it in proportion to their
   tonnage; a flow is scaled by its tightest route;
3. the blockade interdicts ``1 - prod(1 - effectiveness * exposure)`` of what is loaded on
   an exposed path; interdicted cargo is a recorded loss;
4. the rest travels ``sum(transit_months)`` and arrives at the destination.

Cargo in transit is itself a holder with a :class:`~model.world.ledger.Ledger`, so conservation
covers it: loaded = arrivals + losses + change in transit stock. All flows are stacked on
one axis (:class:`FlowSet`) so shipping costs the same few array operations whatever the
number of suppliers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from model.world.calendar import calendar_month
from model.world.kinds import QUANTITY, ordered
from model.world.ledger import Ledger
from model.world.nodes import ListOf, MapOf, Month, Name, Number, Table, Text
from model.world.parameters import ParameterView

# German-Soviet trade travels this route (the border railway; the gauge change limits it).
SOVIET_ROUTE = "soviet_border_rail"
# Third-party goods cross the USSR on this route (transit, purchases on Germany's behalf).
TRANSIT_ROUTE = "trans_siberian"
# A route's transit time sizes the model's in-transit arrays (months x runs x goods): longer
# than the engine's whole calendar (1934-01..1945-12) it would only allocate memory
MAX_TRANSIT_MONTHS = 144

# ``[routes.<id>]``
SCHEMA = MapOf(
    Name(),
    Table(
        {
            "description": Text(),
            "capacity_t_per_month": QUANTITY,
            "transit_months": Number(low=0, high=MAX_TRANSIT_MONTHS, integer=True, default=0),
            "blockade_exposure": Number(low=0, high=1, default=0.0),
            "winter_months": ListOf(Number(low=1, high=12, integer=True)),
            "winter_capacity_share": Number(low=0, high=1, default=1.0),
            "open_from": Month(sampled=True, default="1934-01"),
            "close_from": Month(sampled=True, none=True, default="none"),
        },
        required=("capacity_t_per_month",),
        rules=(ordered("open_from", "close_from"),),
    ),
    required=(SOVIET_ROUTE,),
)


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

    @classmethod
    def from_view(cls, route_id: str, view: ParameterView) -> Route:
        base = f"routes.{route_id}"
        return cls(
            id=route_id,
            capacity_t_per_month=view.number(f"{base}.capacity_t_per_month"),
            transit_months=int(view.raw(f"{base}.transit_months")),
            blockade_exposure=float(view.raw(f"{base}.blockade_exposure")),
            open_from=view.month(f"{base}.open_from"),
            close_from=view.month(f"{base}.close_from"),
            winter_months=frozenset(view.raw(f"{base}.winter_months")),
            winter_capacity_share=float(view.raw(f"{base}.winter_capacity_share")),
        )

    def is_open(self, month: int | np.ndarray) -> np.ndarray:
        return (self.open_from <= month) & (month < self.close_from)

    def capacity(self, month: int) -> np.ndarray:
        share = self.winter_capacity_share if calendar_month(month) in self.winter_months else 1.0
        return self.capacity_t_per_month * share * self.is_open(month)


@dataclass(frozen=True)
class FlowSpec:
    """One flow: ``goods`` (indices) moving from ``origin`` to ``destination`` over routes."""

    name: str
    origin: str
    destination: str
    route_ids: tuple[str, ...]
    goods: tuple[int, ...]
    origin_label: str = ""  # whom the arrivals are credited to (default: the origin)

    @property
    def credited_to(self) -> str:
        return self.origin_label or self.origin


class FlowSet:
    """All flows of a model as *lanes*: one lane per (flow, good) the flow can carry.

    Requests, loads, losses and arrivals are (K, R) arrays over the K lanes, so shipping
    is a handful of array operations whatever the number of suppliers, and no work is
    spent on the many goods a flow never carries. Lanes of a flow are contiguous. Cargo
    in transit waits in a ring buffer (max transit + 1, K, R) and is one holder with its
    own ledger.
    """

    def __init__(
        self,
        specs: Sequence[FlowSpec],
        network: RouteNetwork,
        n_runs: int,
        n_goods: int,
        n_months: int,
        record: bool,
    ):
        self.specs = tuple(specs)
        self.network = network
        self.n_goods = n_goods
        F = len(self.specs)
        self.route_ids = list(network.routes)
        self.incidence = np.zeros((F, len(self.route_ids)), dtype=bool)
        for f, spec in enumerate(self.specs):
            if not spec.goods:
                raise ValueError(f"flow {spec.name} carries no goods")
            for rid in spec.route_ids:
                self.incidence[f, self.route_ids.index(rid)] = True
        # each flow's routes as a padded index matrix (F, longest path); index nR is "no route"
        longest = max(len(s.route_ids) for s in self.specs)
        self.paths = np.full((F, longest), len(self.route_ids), dtype=int)
        for f, spec in enumerate(self.specs):
            self.paths[f, : len(spec.route_ids)] = [self.route_ids.index(r) for r in spec.route_ids]
        self.exposure = np.array(
            [network.routes[r].blockade_exposure for r in self.route_ids] + [0.0]
        )
        self.lane_flow = np.concatenate(
            [np.full(len(s.goods), f) for f, s in enumerate(self.specs)]
        )
        self.lane_good = np.concatenate([np.array(s.goods, dtype=int) for s in self.specs])
        starts = np.concatenate([[0], np.cumsum([len(s.goods) for s in self.specs])])
        self.lanes = [slice(int(a), int(b)) for a, b in zip(starts[:-1], starts[1:], strict=True)]
        self.lane_starts = starts[:-1]
        transit = np.array(
            [sum(network.routes[r].transit_months for r in s.route_ids) for s in self.specs],
            dtype=int,
        )
        self.slots = int(transit.max(initial=0)) + 1
        self.lane_transit = transit[self.lane_flow]
        self.from_germany = np.array([s.origin == "germany" for s in self.specs])
        shape = (len(self.lane_flow), n_runs)
        self.requests = np.zeros(shape)
        self.pipeline = np.zeros((self.slots, *shape))
        self.cargo = Ledger("in_transit", np.zeros(shape), n_months, record)
        self.loaded = np.zeros(shape)
        self.lost = np.zeros(shape)
        self.arrived = np.zeros(shape)

    # lookup ----------------------------------------------------------------------------
    def where(self, **match: str) -> list[int]:
        """Indices of the flows whose spec fields equal ``match``."""
        return [
            i for i, s in enumerate(self.specs) if all(getattr(s, k) == v for k, v in match.items())
        ]

    def through(self, route_id: str) -> list[int]:
        if route_id not in self.route_ids:
            return []
        return [int(f) for f in np.flatnonzero(self.incidence[:, self.route_ids.index(route_id)])]

    def lanes_of(self, flows: Sequence[int], good: int | None = None) -> np.ndarray:
        idx = (
            np.concatenate([np.arange(self.lanes[f].start, self.lanes[f].stop) for f in flows])
            if flows
            else np.array([], int)
        )
        return idx if good is None else idx[self.lane_good[idx] == good]

    # dense (R, G) views ---------------------------------------------------------------
    def set_request(self, flow: int, dense: np.ndarray) -> None:
        """Set a flow's request from an (R, G) array (goods it cannot carry are ignored)."""
        self.requests[self.lanes[flow]] = dense[:, list(self.specs[flow].goods)].T

    def to_goods(self, values: np.ndarray, flows: Sequence[int]) -> np.ndarray:
        """Sum lane values (K, R) of some flows into an (R, G) array."""
        out = np.zeros((values.shape[1], self.n_goods))
        for f in flows:
            out[:, list(self.specs[f].goods)] += values[self.lanes[f]].T
        return out

    # the month --------------------------------------------------------------------------
    def ship(
        self,
        step: int,
        month: int,
        import_eff: np.ndarray,
        export_eff: np.ndarray,
        tonnes_per_unit: np.ndarray,
        spill: Callable[[np.ndarray], np.ndarray | None] | None = None,
    ) -> None:
        """Load what capacity allows, interdict exposed cargo, advance transit, deliver.

        ``spill``, given what capacity left unloaded (K, R), may return second requests
        (K, R) -- a supplier's next-best route for the cargo its first route had no room
        for -- which are loaded in a second pass on the capacity that is left.
        """
        effectiveness = np.where(
            self.from_germany[:, None], export_eff[None, :], import_eff[None, :]
        )
        loaded, lost, flow_tonnes = self._load(
            self.requests, month, effectiveness, tonnes_per_unit, None
        )
        second = spill(self.requests - loaded) if spill is not None else None
        if second is not None:
            used = np.stack(
                [flow_tonnes[self.incidence[:, r]].sum(axis=0) for r in range(len(self.route_ids))]
            )
            loaded2, lost2, _ = self._load(second, month, effectiveness, tonnes_per_unit, used)
            loaded, lost = loaded + loaded2, lost + lost2
        self.loaded, self.lost = loaded, lost
        slot_in = (step + self.lane_transit) % self.slots
        self.pipeline[slot_in, np.arange(len(self.lane_flow))] += loaded - lost
        slot_out = step % self.slots
        self.arrived = self.pipeline[slot_out].copy()
        self.pipeline[slot_out] = 0.0
        if self.cargo.record:
            self.cargo.receive(loaded)
            self.cargo.lose(lost)
            self.cargo.ship(self.arrived)

    def _load(
        self,
        requests: np.ndarray,
        month: int,
        effectiveness: np.ndarray,
        tonnes_per_unit: np.ndarray,
        used: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(loaded, lost, tonnes loaded per flow) for requests on the capacity left after ``used``."""
        lane_tpu = tonnes_per_unit[self.lane_good]
        tonnage = np.add.reduceat(requests * lane_tpu[:, None], self.lane_starts, axis=0)  # (F, R)
        n_runs = requests.shape[1]
        route_scale = np.ones((len(self.route_ids) + 1, n_runs))  # last row: "no route"
        route_open = np.ones((len(self.route_ids) + 1, n_runs))
        for r, rid in enumerate(self.route_ids):
            users = self.incidence[:, r]
            if not users.any():
                continue
            route = self.network.routes[rid]
            total = tonnage[users].sum(axis=0)
            cap = (
                route.capacity(month)
                if used is None
                else np.maximum(route.capacity(month) - used[r], 0.0)
            )
            with np.errstate(divide="ignore", invalid="ignore"):
                scale = np.where(
                    total > 0, np.minimum(1.0, cap / np.where(total > 0, total, 1.0)), 1.0
                )
            route_open[r] = route.is_open(month)
            route_scale[r] = scale * route_open[r]
        flow_scale = route_scale[self.paths].min(axis=1)  # a flow is as free as its tightest route
        flow_open = route_open[self.paths].min(axis=1)
        kept = (1.0 - effectiveness[:, None, :] * self.exposure[self.paths][:, :, None]).prod(
            axis=1
        )
        # Goods of no tonnage (RM-valued machinery) need an open path, not capacity.
        weightless = (lane_tpu == 0)[:, None]
        lane_scale = np.where(weightless, flow_open[self.lane_flow], flow_scale[self.lane_flow])
        loaded = requests * lane_scale
        return loaded, loaded * (1.0 - kept)[self.lane_flow], tonnage * flow_scale


class RouteNetwork:
    """All routes of a scenario, and the monthly shipping of every flow over them."""

    def __init__(self, view: ParameterView):
        self.routes = {rid: Route.from_view(rid, view) for rid in view.raw("routes")}

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

    def deliverable_share(
        self, path: Sequence[Route], month: int | np.ndarray, effectiveness: np.ndarray
    ) -> np.ndarray:
        """Share of a request that would arrive over ``path`` (R,), ignoring capacity; ``month``
        may be a column of months (T, 1) with ``effectiveness`` (T, R)."""
        open_ = np.ones(effectiveness.shape, dtype=bool)
        for route in path:
            open_ &= route.is_open(month)
        return open_ * (1.0 - self.loss_share(path, effectiveness))
