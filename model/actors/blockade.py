"""The blockade: Britain's Ministry of Economic Warfare.

From its start dates (import blockade 4 Sep 1939, export blockade 27 Nov 1939; row 106)
the blockade interdicts a share of every sea-borne flow to and from Germany: on a route
with exposure ``e`` it takes ``effectiveness * e`` of the cargo loaded. Effectiveness
ramps linearly over ``ramp_months`` (row 107: 389 kt of contraband seized in the first
four weeks) and varies month to month by a small per-run shock. It also pre-empts
neutral supply: a share of a supplier's offer of a good is bought up for Britain
(all Turkish chrome 1939-41, row 121). Overland routes are untouched (exposure 0).
"""

from __future__ import annotations

import mesa
import numpy as np

from model.world.goods import GoodsCatalogue
from model.world.parameters import ParameterView


class Blockade(mesa.Agent):
    def __init__(self, model: mesa.Model, view: ParameterView, goods: GoodsCatalogue, shocks: dict):
        super().__init__(model)
        self.import_start = view.month("blockade.import_start")
        self.export_start = view.month("blockade.export_start")
        self.effectiveness_max = view.number("blockade.effectiveness")
        self.ramp_months = int(view.raw("blockade.ramp_months"))
        self.noise_sd = float(view.raw("shocks.blockade_noise_sd"))
        self.noise = shocks["blockade_noise"]  # (R, T)
        self.preemption = []
        for i, p in enumerate(view.raw("blockade.preemption")):
            base = f"blockade.preemption[{i}]"
            self.preemption.append(
                (
                    str(p["supplier"]),
                    goods.index(p["good"]),
                    view.number(f"{base}.share"),
                    view.month(f"{base}.from"),
                    view.month(f"{base}.to"),
                )
            )
        # the effectiveness depends on the month alone: every month of the window at once,
        # (T, R), so that a month reads a row (docs/architecture.md §6)
        months = model.window.first + np.arange(model.window.n_months)[:, None]
        self.import_by_month = self._ramp(months, self.import_start)
        self.export_by_month = self._ramp(months, self.export_start)
        self.import_effectiveness = np.zeros(view.n_runs)

    def _ramp(self, month: np.ndarray, start: np.ndarray) -> np.ndarray:
        """Effectiveness (T, R) in the months ``month`` (T, 1) from a start (R,)."""
        elapsed = month - start + 1
        ramp = (
            np.clip(elapsed / self.ramp_months, 0.0, 1.0)
            if self.ramp_months
            else (elapsed > 0) * 1.0
        )
        value = self.effectiveness_max * ramp * (1.0 + self.noise_sd * self.noise.T)
        return np.clip(value, 0.0, 1.0) * (start <= month)

    def update(self, month: int, step: int) -> None:
        self.import_effectiveness = self.import_by_month[step]

    def preempted_share(self, supplier: str, months: np.ndarray, n_goods: int) -> np.ndarray | None:
        """(T, R, G) share of a supplier's offer bought up for Britain in ``months`` (T, 1)
        (None: nothing)."""
        if all(who != supplier for who, *_ in self.preemption):
            return None
        out = np.zeros((len(months), self.import_effectiveness.shape[0], n_goods))
        for who, good, share, first, last in self.preemption:
            if who == supplier:
                out[..., good] = np.maximum(
                    out[..., good], share * ((first <= months) & (months <= last))
                )
        return out
