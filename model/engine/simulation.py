"""The Mesa model that owns the month loop: R runs of one scenario side by side.

Every agent's state has a leading run axis (R, goods); every parameter a batch varies is
an array of length R; every dated rule is a per-run mask; the only Python loop is over
months (and over the handful of suppliers, routes and treaties). R = 1 is the
interactive case of the same code (docs/architecture.md §6).

One month, in order (docs/architecture.md §5), one phase per line of :meth:`PactModel.step`:

1. events: war phase, invasion, treaties in force, blockade, routes, conquest;
2. production;
3. treaty obligations become offers on both sides;
4. reciprocity: the owed side suspends or resumes;
5. shipping through routes: capacity, blockade interdiction, transit time;
6. consumption with rationing, priority and substitution; shortages recorded;
7. clearing account and credit updated in RM;
8. record.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterable, Iterator

import mesa
import numpy as np

from model.actors.blockade import Blockade
from model.actors.germany import Germany
from model.actors.soviet_policy import PolicyMonth
from model.actors.soviet_union import SovietUnion
from model.actors.stockpiling import Stockpiling
from model.actors.suppliers import ThirdPartySupplier
from model.engine.months import MonthTables
from model.engine.recorder import Recorder
from model.engine.variables import ALL_VARIABLES, RUN_VARIABLES
from model.files.scenario import Scenario
from model.treaties.credit import Clearing
from model.treaties.rules import Treaty, settle_treaties
from model.world.calendar import Window
from model.world.goods import GoodsCatalogue
from model.world.ledger import Ledger
from model.world.parameters import ParameterView
from model.world.randomness import master_key, normals
from model.world.routes import SOVIET_ROUTE, TRANSIT_ROUTE, FlowSet, FlowSpec, RouteNetwork

TRAJECTORY_DTYPE = np.float32


class PactModel(mesa.Model):
    """R runs of one scenario. ``replications`` label the runs for common random numbers.

    ``uniforms`` (key path -> R uniforms) set the uncertain parameters of each run; without
    them every distribution takes its central value. ``audit=True`` keeps every holder's
    monthly ledger so that conservation can be checked cell by cell.
    """

    def __init__(
        self,
        scenario: Scenario,
        n_runs: int = 1,
        seed: int = 0,
        replications: np.ndarray | None = None,
        uniforms: dict[str, np.ndarray] | None = None,
        audit: bool = False,
        variables: Iterable[str] | None = None,
    ):
        super().__init__(rng=int(seed))
        self.pact_scenario = scenario  # not `scenario`: Mesa 3.5 reserves that name on Model
        self.seed = int(seed)
        self.replications = np.arange(n_runs) if replications is None else np.asarray(replications)
        if len(self.replications) != n_runs:
            raise ValueError("replications must have one label per run")
        self.n_runs = n_runs
        self.record = audit  # keep every holder's monthly ledger (for conservation audits)
        self.view = view = ParameterView(scenario, n_runs, uniforms)
        self.window = Window.from_texts(view.raw("window.start"), view.raw("window.end"))
        self.goods = GoodsCatalogue.from_table(view.raw("goods"))
        shocks = self._draw_shocks()
        self.invasion_month = view.month("events.invasion")
        self.network = RouteNetwork(view)
        self.treaties = [
            Treaty.from_view(t, i, view, self.goods) for i, t in enumerate(view.raw("treaties"))
        ]
        self.germany = Germany(self, view, self.goods, shocks)
        self.soviet_union = SovietUnion(self, view, self.goods, shocks, self._dues_starts(view))
        self.blockade = Blockade(self, view, self.goods, shocks)
        self.suppliers = [
            ThirdPartySupplier(self, sid, view, self.goods, self.network)
            for sid in view.raw("suppliers")
        ]
        self.stockpiling = Stockpiling(
            view, self.goods, self.network, {s.supplier_id: s.route_groups for s in self.suppliers}
        )
        self.clearing = Clearing(n_runs)
        self.origins = (*[s.supplier_id for s in self.suppliers], "soviet_union")
        self.import_pairs = self._import_pairs()
        self._build_flows()
        self.tables = MonthTables(self)  # what depends on the month alone, every month at once
        self.step_index = 0
        self.month = self.window.first
        self.trade_ended = np.zeros(n_runs, dtype=bool)
        self.due_ratio = np.zeros(n_runs)  # German RM owed per Soviet RM under the treaty in force
        self.trajectory = self._allocate_trajectory(variables)
        self.recorder = Recorder(self)

    def parameter_values(self, path: str) -> np.ndarray:
        """The per-run values this model used for an uncertain key path."""
        return self.view.resolved(path)

    # construction ---------------------------------------------------------------------
    def _dues_starts(self, view: ParameterView) -> np.ndarray:
        """Give each treaty that makes Soviet goods fall due its slot; their starts (K, R).

        The USSR pools every due (``soviet_union.dues_order = "pro_rata"``, the default:
        one slot) or serves its agreements in the order they came into force
        (``"seniority"``: a slot each).
        """
        owing = [t for t in self.treaties if t.owes_soviet_goods]
        pooled = view.raw("soviet_union.dues_order") == "pro_rata"
        for k, t in enumerate(owing):
            t.due_slot = 0 if pooled else k
        if pooled or not owing:
            return np.zeros((1, self.n_runs), dtype=np.int64)
        return np.stack([t.first for t in owing])

    def _draw_shocks(self) -> dict[str, np.ndarray]:
        key = master_key(self.seed)
        n_years = self.window.last // 12 - self.window.first // 12 + 1
        return {
            "germany_harvest": normals(key, "germany_harvest", self.replications, n_years),
            "soviet_harvest": normals(key, "soviet_harvest", self.replications, n_years),
            "blockade_noise": normals(
                key, "blockade_noise", self.replications, self.window.n_months
            ),
        }

    def _build_flows(self) -> None:
        """Every flow of goods, stacked: suppliers' routes, the treaty trade, Soviet purchases."""
        specs: list[FlowSpec] = []
        for s in self.suppliers:
            s.flow_index = list(range(len(specs), len(specs) + len(s.flow_specs)))
            specs.extend(s.flow_specs)
        su = self.soviet_union
        su.flow_index = self.soviet_flows = list(range(len(specs), len(specs) + len(su.flow_specs)))
        specs.extend(su.flow_specs)
        machinery = tuple(int(g) for g in np.flatnonzero(self.goods.machinery))
        self.german_flow = len(specs)
        specs.append(
            FlowSpec("germany->soviet_union", "germany", "soviet_union", (SOVIET_ROUTE,), machinery)
        )
        suppliers = {s.supplier_id: s for s in self.suppliers}
        # the treaties' own flows (purchases abroad), in their order: (flow, its supplier)
        self.purchase_flows: list[tuple[int, ThirdPartySupplier]] = []
        for spec in (f for treaty in self.treaties for f in treaty.flows(self.goods)):
            suppliers[spec.origin].purchase_index.append(len(specs))
            self.purchase_flows.append((len(specs), suppliers[spec.origin]))
            specs.append(spec)
        self.flows = FlowSet(
            specs, self.network, self.n_runs, self.goods.n, self.window.n_months, self.record
        )
        self.to_germany = self.flows.where(destination="germany")
        self.soviet_deliveries = [*self.soviet_flows, *[f for f, _ in self.purchase_flows]]
        self.transit_lanes = self.flows.lanes_of(self.flows.through(TRANSIT_ROUTE))
        spilling = [s for s in self.suppliers if len(s.flow_index) > 1]
        self.spilling = spilling, self.flows.lanes_of([f for s in spilling for f in s.flow_index])
        # the lanes into Germany of each import pair (origin, good), in lane order
        credited = {origin: o for o, origin in enumerate(self.origins)}
        flow_origin = np.array(
            [
                credited.get(spec.credited_to, -1) if spec.destination == "germany" else -1
                for spec in self.flows.specs
            ]
        )
        lane_origin, lane_good = flow_origin[self.flows.lane_flow], self.flows.lane_good
        self.import_pair_lanes = [
            np.flatnonzero((lane_origin == o) & (lane_good == good))
            for o, good in self.import_pairs
        ]

    def ledgers(self) -> list[Ledger]:
        """Every holder of goods: agents, suppliers and cargo in transit."""
        return [
            self.germany.ledger,
            self.soviet_union.ledger,
            *[s.ledger for s in self.suppliers],
            self.flows.cargo,
        ]

    def _allocate_trajectory(self, variables: Iterable[str] | None) -> dict[str, np.ndarray]:
        """Arrays for the recorded variables (all of them unless a caller names fewer).

        Recorded outputs are float32 (the ledgers that conserve are float64): allocating and
        first-touching memory is the largest cost of a vectorised chunk, so record compactly
        and only what will be read.
        """
        T, R, G = self.window.n_months, self.n_runs, self.goods.n
        wanted = set(ALL_VARIABLES if variables is None else variables)
        unknown = wanted - set(ALL_VARIABLES)
        if unknown:
            raise ValueError(
                f"unknown trajectory variables {sorted(unknown)}; known: {', '.join(ALL_VARIABLES)}"
            )
        out: dict[str, np.ndarray] = {}
        for name in ALL_VARIABLES:
            if name not in wanted:
                continue
            if name == "imports":
                out[name] = np.zeros(
                    (T, len(self.import_pairs), R), dtype=TRAJECTORY_DTYPE
                )  # (month, pair, run)
            elif name in RUN_VARIABLES:
                out[name] = np.zeros((T, R))
            else:
                out[name] = np.zeros((T, R, G), dtype=TRAJECTORY_DTYPE)
        return out

    def _import_pairs(self) -> list[tuple[int, int]]:
        """The (origin, good) pairs that can arrive in Germany; imports are recorded for these only."""
        soviet = self.origins.index("soviet_union")
        pairs = {(soviet, int(g)) for g in np.flatnonzero(self.goods.raw)}
        for s in self.suppliers:
            pairs |= {(self.origins.index(s.supplier_id), int(g)) for g in s.offered_goods}
        return sorted(pairs)

    # the month ----------------------------------------------------------------------------
    def step(self) -> None:
        month = self.month
        self.apply_events(month)
        self.produce(month)
        self.offer_obligations(month)
        self.decide_reciprocity(month)
        self.ship(month)
        self.consume(month)
        self.clear_accounts(month)
        self.record_month(month)
        self.step_index += 1
        self.month += 1

    def run(self) -> PactModel:
        for _ in range(self.window.n_months):
            self.step()
        return self

    # 1. events
    def apply_events(self, month: int) -> None:
        for ledger in self.ledgers():
            ledger.open_month(self.step_index)
        t, tables = self.step_index, self.tables
        self.invaded = tables.invaded[t]
        self.trade_ended = tables.trade_ended[t]
        self.war_phase = tables.war_phase[t]
        self.active = {tid: a[t] for tid, a in tables.active.items()}
        self.trading = tables.trading[t]
        self.trading_since = tables.trading_since[t]
        self.blockade.update(month, t)

    # 2. production
    def produce(self, month: int) -> None:
        year_position = month // 12 - self.window.first // 12
        self.germany.produce(self.step_index)
        self.germany.capture(self.step_index)
        self.soviet_union.produce(month, year_position)
        self.soviet_union.sell_elsewhere()

    # 3. treaty obligations become offers
    def offer_obligations(self, month: int) -> None:
        G, step = self.goods.n, self.step_index
        state = self.treaty_month = self.tables.treaty_month(self, step)
        self.soviet_due = state.soviet_due
        self.clearing.due_credit_rm += state.german_fixed_rm
        # purchases abroad on Germany's behalf (the treaties' own flows)
        for (f, supplier), amounts in zip(self.purchase_flows, self.tables.purchases, strict=True):
            if supplier.ledger.record:  # the supplier produces what it sells (audits)
                amount = np.zeros((self.n_runs, G))
                amount[:, self.flows.specs[f].goods[0]] = amounts[step]
                supplier.ledger.produce(amount)
            self.flows.requests[self.flows.lanes[f]] = amounts[step]
        # third-party suppliers' offers, routed, with Germany's stockpile purchases
        if self.stockpiling.enabled:
            g = self.germany
            extra = self.stockpiling.purchases(
                month,
                g.ledger.stock,
                g.expected_demand(step),
                g.ledger.flow("production"),
            )
            for s in self.suppliers:
                s.extra = extra.get(s.supplier_id)
        for s in self.suppliers:
            s.plan(step, self.flows)

    # 4. reciprocity and the Soviet export policy
    def decide_reciprocity(self, month: int) -> None:
        c, state = self.clearing, self.treaty_month
        state.arrears_rm, state.due_clearing_rm = c.arrears_rm, c.due_clearing_rm
        for t in self.treaties:
            t.act("reciprocity", month, self.active[t.id], state)
        policy = PolicyMonth(
            month=month, trading=self.trading, arrears_rm=c.arrears_rm, due_clearing_rm=c.due_clearing_rm,
            soviet_delivered_rm=c.soviet_delivered_rm, german_delivered_rm=c.german_delivered_rm,
            due_ratio=self.due_ratio,
        )  # fmt: skip
        catch_up = np.maximum(state.catch_up, self.soviet_union.review(policy, self.trading_since))
        offer = self.soviet_union.treaty_offer(
            self.soviet_due, policy, state.held, state.threatened
        )
        for f in self.soviet_flows:
            self.flows.set_request(f, offer)
        outstanding = c.arrears_rm + c.credit_outstanding_rm
        offer = (
            self.germany.export_offer(month, outstanding, catch_up, self.active)
            * self.trading[:, None]
        )
        self.germany.produce_for_export(offer)
        self.flows.set_request(self.german_flow, offer)

    # 5. shipping
    def ship(self, month: int) -> None:
        flows = self.flows
        flows.ship(self.step_index, month, self.goods.tonnes_per_unit, spill=self._spill)
        self.german_exports = flows.to_goods(flows.loaded, [self.german_flow])
        soviet_loaded = flows.to_goods(flows.loaded, self.soviet_flows)
        self.germany.ledger.ship(self.german_exports)
        self.soviet_union.ledger.ship(soviet_loaded)
        self.germany.ledger.receive(flows.to_goods(flows.arrived, self.to_germany))
        self.soviet_union.ledger.receive(flows.to_goods(flows.arrived, [self.german_flow]))
        self.soviet_union.record_shipped(soviet_loaded)
        self.soviet_shipped = flows.to_goods(flows.loaded, self.soviet_deliveries)
        for s in self.suppliers:
            s.settle(flows)

    def _spill(self, unloaded: np.ndarray) -> np.ndarray | None:
        """Second requests: suppliers' cargo that found no room goes by their next-best route."""
        spilling, lanes = self.spilling
        if not len(lanes) or not (unloaded[lanes] > 1e-9).any():
            return None  # the common month: every route had room
        second = np.zeros_like(unloaded)
        for s in spilling:
            s.spill(unloaded, self.flows, second)
        return second

    # 6. consumption
    def consume(self, month: int) -> None:
        self.germany.consume(self.war_phase, month, self.step_index)

    # 7. clearing and credit
    def clear_accounts(self, month: int) -> None:
        c, state = self.clearing, self.treaty_month
        price = self.goods.price_at(month)  # the reference, or a period's (goods.price_by_period)
        soviet_rm = (self.soviet_shipped * price).sum(axis=-1)
        german_rm = (self.german_exports * price).sum(axis=-1)
        c.soviet_delivered_rm += soviet_rm
        c.german_delivered_rm += german_rm
        state.soviet_rm = soviet_rm
        state.due_clearing_rm = np.zeros(self.n_runs)  # recomputed by the rules in clearing
        settle_treaties(self.treaties, self.active, month, state)
        c.settle(state, german_rm)
        self.due_ratio = state.due_ratio

    # 8. record
    def record_month(self, month: int) -> None:
        for ledger in self.ledgers():
            ledger.close_month()
        self.recorder.record(self.step_index)


_live_models = 0
_live_lock = threading.Lock()
_frozen = False


@contextlib.contextmanager
def released_models() -> Iterator[None]:
    """Let the Mesa models built inside be freed once no model is in use in this process.

    Mesa 3.3.1 keeps every model alive through a class-level counter of agent ids keyed by
    model (``Agent._ids``; Mesa issue #3179, fixed in 3.4.2) -- a whole chunk's state and
    trajectories per model, so a worker running many chunks would grow without bound.
    The keys are dropped when the last chunk running in the process (Dask workers may run
    several in threads) has finished; on Mesa versions without the registry this is a no-op.
    """
    global _live_models, _frozen
    with _live_lock:
        if not _frozen:  # what is alive now (the imported modules) is never garbage: keep
            gc.freeze()  # it out of the collections below, which then cost microseconds
            _frozen = True
        _live_models += 1
    try:
        yield
    finally:
        with _live_lock:
            _live_models -= 1
            if _live_models == 0:
                import mesa

                registry = getattr(mesa.Agent, "_ids", None)
                if isinstance(registry, dict):
                    registry.clear()
                gc.collect()
