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


class LaneSum:
    """Sum the lane values (K, R) of some flows into an (R, G) array, as
    :meth:`model.world.routes.FlowSet.to_goods` does -- flow by flow, in their order, so the
    sums are bitwise the same -- with the lanes and goods looked up once: one fancy-indexed
    addition per rank of a good's lanes (:func:`by_rank`), not one per flow."""

    def __init__(self, model: PactModel, flows: list[int]):
        fs = model.flows
        lanes = np.concatenate([np.arange(fs.lanes[f].start, fs.lanes[f].stop) for f in flows])
        goods = fs.lane_good[lanes]
        self.ranks = [(lanes[r], goods[r]) for r in by_rank(goods)]
        self.n_goods = fs.n_goods

    def __call__(self, values: np.ndarray) -> np.ndarray:
        out = np.zeros((values.shape[1], self.n_goods))
        for lanes, goods in self.ranks:
            out[:, goods] += values[lanes].T
        return out


class Recorder:
    """Writes month ``t`` of every recorded variable into ``model.trajectory``."""

    def __init__(self, model: PactModel):
        self.model = model
        self.trajectory = model.trajectory
        flows = model.flows
        self.crit = model.goods.critical
        lanes = model.transit_lanes
        self.transit_lanes = lanes
        self.transit_tonnes = model.goods.tonnes_per_unit[flows.lane_good[lanes]][:, None]
        self.losses = LaneSum(model, model.to_germany)
        getters = self._getters()
        self.getters = [
            (self.trajectory[k], get) for k, get in getters.items() if k in self.trajectory
        ]
        # imports: the (origin, good) pairs that have lanes, each the sum of its lanes in order
        pairs = np.concatenate(
            [np.full(len(lanes), p) for p, lanes in enumerate(model.import_pair_lanes)]
        )
        lanes = np.concatenate([*model.import_pair_lanes, np.array([], dtype=int)]).astype(int)
        ranks = by_rank(pairs)
        self.import_first = (pairs[ranks[0]], lanes[ranks[0]]) if ranks else None
        first = {p: i for i, p in enumerate(pairs[ranks[0]].tolist())} if ranks else {}
        # later lanes: (their pair's row among the first lanes', the lanes)
        self.import_more = [
            (np.array([first[p] for p in pairs[r].tolist()], dtype=int), lanes[r])
            for r in ranks[1:]
        ]

    def _getters(self) -> dict[str, Callable[[], Any]]:
        """What each recorded variable reads, by name."""
        m, g, c, su = self.model, self.model.germany, self.model.clearing, self.model.soviet_union
        flows = m.flows
        return {
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
            "transit_t": lambda: (flows.loaded[self.transit_lanes] * self.transit_tonnes).sum(
                axis=0
            ),
            "treaties_in_force": lambda: m.trading,
            "war_phase": lambda: m.war_phase,
            # what limited Soviet deliveries (model.actors.soviet_policy.BINDING)
            "binding": su.binding,
        }

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
        if imports is not None and self.import_first is not None:
            arrived = self.model.flows.arrived
            pairs, lanes = self.import_first
            if not self.import_more:
                imports[t, pairs] = arrived[lanes]
                return
            total = arrived[lanes]  # (pairs, R), then each pair's later lanes in order
            for rows, more in self.import_more:
                total[rows] += arrived[more]
            imports[t, pairs] = total
