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
import numpy.typing as npt

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
        t = self._row(month)
        if t is not None:
            return self.open_by_month[t]
        return (self.open_from <= month) & (month < self.close_from)

    def capacity(self, month: int | np.ndarray) -> np.ndarray:
        t = self._row(month)
        if t is not None:
            return self.capacity_by_month[t]
        if isinstance(month, np.ndarray):  # months (T, 1)
            winter = np.isin(month % 12 + 1, list(self.winter_months))
            share: float | np.ndarray = np.where(winter, self.winter_capacity_share, 1.0)
        else:
            share = (
                self.winter_capacity_share if calendar_month(month) in self.winter_months else 1.0
            )
        return self.capacity_t_per_month * share * self.is_open(month)

    def tabulate(self, first: int, n_months: int) -> None:
        """Work out whether the route is open and its capacity (T, R) for every month of a
        window at once (they depend on the month alone); a month then reads its row."""
        months = first + np.arange(n_months)[:, None]
        self.open_by_month = self.is_open(months)
        self.capacity_by_month = self.capacity(months)
        for table in (self.open_by_month, self.capacity_by_month):
            table.setflags(write=False)
        self.first_tabulated = first

    def _row(self, month: int | np.ndarray) -> int | None:
        """The row of ``month`` in the tables, if they have one."""
        first = getattr(self, "first_tabulated", None)
        if first is None or isinstance(month, np.ndarray):
            return None
        t = int(month) - first
        return t if 0 <= t < len(self.open_by_month) else None


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
        # looked up once: the flows using each route, each lane's position, the sums by good
        self.route_users = [
            np.flatnonzero(self.incidence[:, r]) for r in range(len(self.route_ids))
        ]
        self.used_routes = [r for r, users in enumerate(self.route_users) if len(users)]
        self.route_user_index, self.route_user_present = self._users_by_rank()
        self.lane_index = np.arange(len(self.lane_flow))
        self.path_exposure = self.exposure[self.paths][:, :, None]
        self._sums: dict[tuple[int, ...], tuple[np.ndarray, npt.NDArray[np.bool_]]] = {}
        self._lanes: dict[tuple[tuple[int, ...], int | None], np.ndarray] = {}
        self.loss_by_month: np.ndarray | None = None

    def tabulate(self, import_eff: np.ndarray, export_eff: np.ndarray) -> None:
        """The share of each flow's cargo the blockade takes (T, F, R), every month at once
        from the blockade's effectiveness on imports and exports (T, R): it depends on the
        month alone. The routes' capacities are tabulated by :meth:`Route.tabulate`."""
        effectiveness = np.where(
            self.from_germany[None, :, None], export_eff[:, None, :], import_eff[:, None, :]
        )
        # the product over each path's routes, in path order (as ``prod`` along the path)
        kept = 1.0 - effectiveness * self.path_exposure[None, :, 0]
        for k in range(1, self.paths.shape[1]):
            kept = kept * (1.0 - effectiveness * self.path_exposure[None, :, k])
        self.loss_by_month = 1.0 - kept
        # the routes' capacities and openness (T, routes + 1, R): the last row is "no route",
        # open and unlimited, as is a route no flow uses
        T, R = import_eff.shape
        self.capacity_by_month = np.ones((T, len(self.route_ids) + 1, R))
        self.open_by_month = np.ones((T, len(self.route_ids) + 1, R))
        for r in self.used_routes:
            route = self.network.routes[self.route_ids[r]]
            self.capacity_by_month[:, r] = route.capacity_by_month
            self.open_by_month[:, r] = route.open_by_month

    # lookup ----------------------------------------------------------------------------
    def where(self, **match: str) -> list[int]:
        """Indices of the flows whose spec fields equal ``match``."""
        return [
            i for i, s in enumerate(self.specs) if all(getattr(s, k) == v for k, v in match.items())
        ]

    def through(self, route_id: str) -> list[int]:
        if route_id not in self.route_ids:
            return []
        return [int(f) for f in self.route_users[self.route_ids.index(route_id)]]

    def lanes_of(self, flows: Sequence[int], good: int | None = None) -> np.ndarray:
        """The lanes of ``flows`` (of one good), in order; looked up once per question (the
        month asks the same ones), read-only."""
        key = (tuple(flows), good)
        idx = self._lanes.get(key)
        if idx is None:
            idx = (
                np.concatenate([np.arange(self.lanes[f].start, self.lanes[f].stop) for f in flows])
                if flows
                else np.array([], int)
            )
            idx = idx if good is None else idx[self.lane_good[idx] == good]
            idx.setflags(write=False)
            self._lanes[key] = idx
        return idx

    # dense (R, G) views ---------------------------------------------------------------
    def set_request(self, flow: int, dense: np.ndarray) -> None:
        """Set a flow's request from an (R, G) array (goods it cannot carry are ignored)."""
        self.requests[self.lanes[flow]] = dense[:, list(self.specs[flow].goods)].T

    def to_goods(self, values: np.ndarray, flows: Sequence[int]) -> np.ndarray:
        """Sum lane values (K, R) of some flows into an (R, G) array: for each good its lanes
        in flow order (0 + a + b ...). The lanes are gathered as (rank, G, R) -- rank ``k``
        holds each good's ``k``-th lane (:func:`by_rank`), masked where a good has fewer --
        and added rank after rank in one masked reduction from 0.0; the lookups are made
        once per set of flows."""
        key = tuple(flows)
        plan = self._sums.get(key)
        if plan is None:
            lanes = (
                np.concatenate([self.lane_index[self.lanes[f]] for f in flows])
                if flows
                else np.array([], dtype=int)
            )
            goods = self.lane_good[lanes]
            ranks = by_rank(goods)
            # at least two goods wide: with one good and one run the reduction axis would be
            # numpy's inner loop, summed pairwise instead of rank after rank
            width = max(self.n_goods, 2)
            index = np.zeros((len(ranks), width), dtype=np.intp)
            present = np.zeros((len(ranks), width, 1), dtype=bool)
            for k, r in enumerate(ranks):
                index[k, goods[r]] = lanes[r]
                present[k, goods[r]] = True
            plan = self._sums[key] = (index, present)
        index, present = plan
        # keepdims and [0]: numpy >= 2.5's stubs type ``where=`` only with ``keepdims`` or ``out``
        summed = np.add.reduce(values[index], axis=0, keepdims=True, where=present, initial=0.0)
        sums = summed[0]  # (G, R)
        return np.ascontiguousarray(sums[: self.n_goods].T)

    # the month --------------------------------------------------------------------------
    def ship(
        self,
        step: int,
        month: int,
        tonnes_per_unit: np.ndarray,
        spill: Callable[[np.ndarray], np.ndarray | None] | None = None,
    ) -> None:
        """Load what capacity allows, interdict exposed cargo, advance transit, deliver.

        ``spill``, given what capacity left unloaded (K, R), may return second requests
        (K, R) -- a supplier's next-best route for the cargo its first route had no room
        for -- which are loaded in a second pass on the capacity that is left. The blockade's
        share of each flow is this month's row of :meth:`tabulate`.
        """
        assert self.loss_by_month is not None, "FlowSet.tabulate() first"
        lane_loss = self.loss_by_month[step][self.lane_flow]
        loaded, flow_tonnes = self._load(self.requests, step, tonnes_per_unit, None)
        lost = loaded * lane_loss
        second = spill(self.requests - loaded) if spill is not None else None
        if second is not None:
            used = self.by_route(flow_tonnes)
            loaded2, _ = self._load(second, step, tonnes_per_unit, used)
            loaded, lost = loaded + loaded2, lost + loaded2 * lane_loss
        self.loaded, self.lost = loaded, lost
        slot_in = (step + self.lane_transit) % self.slots
        self.pipeline[slot_in, self.lane_index] += loaded - lost
        slot_out = step % self.slots
        self.arrived = self.pipeline[slot_out].copy()
        self.pipeline[slot_out] = 0.0
        if self.cargo.record:
            self.cargo.receive(loaded)
            self.cargo.lose(lost)
            self.cargo.ship(self.arrived)

    def _users_by_rank(self) -> tuple[np.ndarray, npt.NDArray[np.bool_]]:
        """The flows using each route by rank, for :meth:`by_route`: (most users, routes + 1)
        flow indices and (most users, routes + 1, 1) whether the route has that many."""
        most = max((len(u) for u in self.route_users), default=0)
        index = np.zeros((most, len(self.route_ids) + 1), dtype=np.intp)
        present = np.zeros((most, len(self.route_ids) + 1, 1), dtype=bool)
        for r, users in enumerate(self.route_users):
            index[: len(users), r] = users
            present[: len(users), r] = True
        return index, present

    def by_route(self, per_flow: np.ndarray) -> np.ndarray:
        """(routes + 1, R): for each route the sum of its flows' rows of ``per_flow`` (F, R),
        in flow order (0 for a route no flow uses, and for the last row, "no route").

        One masked reduction over the users gathered by rank (users, routes + 1, R), added
        from 0.0 user after user as numpy sums the rows of several runs; with one run numpy
        would sum eight or more rows pairwise, so that case keeps summing route by route."""
        if per_flow.shape[1] == 1 and self.route_user_index.shape[0] >= 8:
            total = np.zeros((len(self.route_ids) + 1, 1))
            for r in self.used_routes:
                total[r] = per_flow[self.route_users[r]].sum(axis=0)
            return total
        rows = per_flow[self.route_user_index]
        where = self.route_user_present
        return np.add.reduce(rows, axis=0, keepdims=True, where=where, initial=0.0)[0]

    def _load(
        self,
        requests: np.ndarray,
        step: int,
        tonnes_per_unit: np.ndarray,
        used: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(loaded, tonnes loaded per flow) for requests on the capacity left after ``used``
        (routes + 1, R), every route at once."""
        lane_tpu = tonnes_per_unit[self.lane_good]
        tonnage = np.add.reduceat(requests * lane_tpu[:, None], self.lane_starts, axis=0)  # (F, R)
        total = self.by_route(tonnage)
        cap = self.capacity_by_month[step]
        if used is not None:
            cap = np.maximum(cap - used, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(total > 0, np.minimum(1.0, cap / np.where(total > 0, total, 1.0)), 1.0)
        route_open = self.open_by_month[step]
        route_scale = scale * route_open
        flow_scale = route_scale[self.paths].min(axis=1)  # a flow is as free as its tightest route
        flow_open = route_open[self.paths].min(axis=1)
        # Goods of no tonnage (RM-valued machinery) need an open path, not capacity: their
        # lanes take the flow's openness (a gather on those few lanes, not a where on all)
        lane_scale = flow_scale[self.lane_flow]
        weightless = np.flatnonzero(lane_tpu == 0)
        if len(weightless):
            lane_scale[weightless] = flow_open[self.lane_flow[weightless]]
        return requests * lane_scale, tonnage * flow_scale


def by_rank(keys: np.ndarray) -> list[np.ndarray]:
    """Positions of ``keys`` grouped by how many times their key came before: rank 0 holds
    the first occurrence of every key, rank 1 the second, ... Within a rank every key is
    unique, so adding rank after rank adds each key's values in their order."""
    seen: dict[int, int] = {}
    ranks: list[list[int]] = []
    for i, k in enumerate(keys.tolist()):
        r = seen[k] = seen.get(k, -1) + 1
        if r == len(ranks):
            ranks.append([])
        ranks[r].append(i)
    return [np.array(r, dtype=int) for r in ranks]


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
