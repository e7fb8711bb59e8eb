"""Phase 8 of the month: the recorded variables written into the model's trajectory arrays.

What to read for each variable and which lanes make up each import pair are settled once,
when the model is built; a month then computes only the variables that are recorded and
writes each into its preallocated row (docs/architecture.md §5, §6).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from model.engine.simulation import PactModel


class LaneSum:
    """Sum the lane values (K, R) of some flows into an (R, G) array, as
    :meth:`model.world.routes.FlowSet.to_goods` does -- flow by flow, in their order, so the
    sums are bitwise the same -- with the lanes and goods looked up once."""

    def __init__(self, model: PactModel, flows: list[int]):
        fs = model.flows
        self.lanes = np.concatenate([np.arange(fs.lanes[f].start, fs.lanes[f].stop) for f in flows])
        self.goods = fs.lane_good[self.lanes]
        self.n_goods = fs.n_goods
        self.unique = len(set(self.goods.tolist())) == len(self.goods)

    def __call__(self, values: np.ndarray) -> np.ndarray:
        out = np.zeros((values.shape[1], self.n_goods))
        if self.unique:  # every good from one lane: 0 + x, as the flow-by-flow sum
            out[:, self.goods] = values[self.lanes].T
            out += 0.0  # -0.0 becomes 0.0, as 0 + x makes it
        else:  # in lane order, one addition at a time
            np.add.at(out.T, self.goods, values[self.lanes])
        return out


class Recorder:
    """Writes month ``t`` of every recorded variable into ``model.trajectory``."""

    def __init__(self, model: PactModel):
        self.model = model
        self.trajectory = model.trajectory
        m, g, c, su, flows = model, model.germany, model.clearing, model.soviet_union, model.flows
        self.crit = model.goods.critical
        lanes = model.transit_lanes
        self.transit_lanes = lanes
        self.transit_tonnes = model.goods.tonnes_per_unit[flows.lane_good[lanes]][:, None]
        self.losses = LaneSum(model, model.to_germany)
        getters: dict[str, Callable[[], Any]] = {
            # Germany, (R, G) in each good's unit
            "stock": lambda: g.ledger.stock,
            "production": lambda: g.ledger.flow("production"),
            "consumption": lambda: g.ledger.flow("consumption"),
            "demand": lambda: g.demand,
            "military_demand": lambda: g.military_need,
            "military_use": lambda: g.military_use,
            "shortage": lambda: g.shortage,
            "rationed": lambda: g.rationed,
            "captured": lambda: g.captured,
            "synthetic": lambda: g.synthetic_output,
            "reserve": lambda: g.reserve,
            "ration_cut": lambda: g.ration_cut,
            "civil_demand": lambda: g.civil_need,
            "civil_use": lambda: g.civil_use,
            "recycled": lambda: g.recycled,
            "losses": lambda: self.losses(flows.lost),
            # the German-Soviet trade
            "soviet_deliveries": lambda: m.soviet_shipped,
            "german_exports": lambda: m.german_exports,
            "soviet_machinery_rm": lambda: su.machinery_gains_rm,
            # per run, (R,)
            "clearing_balance_rm": lambda: c.balance_rm,
            "arrears_rm": lambda: c.arrears_rm,
            "credit_drawn_rm": lambda: c.credit_drawn_rm,
            "soviet_debt_rm": lambda: c.soviet_debt_rm,
            "soviet_delivered_rm": lambda: c.soviet_delivered_rm,
            "german_delivered_rm": lambda: c.german_delivered_rm,
            "suspended": lambda: su.suspended_goods.any(axis=1),
            "threatened": lambda: su.threatened,
            "war_readiness": self.war_readiness,
            "blockade_effectiveness": lambda: m.blockade.import_effectiveness,
            "transit_t": lambda: (flows.loaded[lanes] * self.transit_tonnes).sum(axis=0),
            "treaties_in_force": lambda: m.trading,
            "war_phase": lambda: m.war_phase,
            # what limited Soviet deliveries (model.actors.soviet_policy.BINDING)
            "binding": su.binding,
        }
        self.getters = [
            (self.trajectory[k], get) for k, get in getters.items() if k in self.trajectory
        ]
        # imports: the (origin, good) pairs that have lanes, each the sum of its lanes in order
        pairs = [(p, lanes) for p, lanes in enumerate(model.import_pair_lanes) if len(lanes)]
        self.import_pairs = np.array([p for p, _ in pairs], dtype=int)
        self.import_lanes = np.concatenate([lanes for _, lanes in pairs]) if pairs else None
        self.import_starts = np.cumsum([0] + [len(lanes) for _, lanes in pairs])[:-1]

    def war_readiness(self) -> np.ndarray:
        """The share of military demand for the critical goods that was met, per run."""
        g, crit = self.model.germany, self.crit
        need = g.military_need[:, crit]
        with np.errstate(divide="ignore", invalid="ignore"):
            met = np.where(need > 0, g.military_use[:, crit] / np.where(need > 0, need, 1.0), 1.0)
        return met.mean(axis=1)

    def record(self, t: int) -> None:
        for out, get in self.getters:
            out[t] = get()
        imports = self.trajectory.get("imports")
        if imports is not None and self.import_lanes is not None:
            arrived = self.model.flows.arrived[self.import_lanes]
            imports[t, self.import_pairs] = np.add.reduceat(arrived, self.import_starts, axis=0)
