"""What limited Soviet deliveries, scenario by scenario: the report's table (issue 11).

Reads the ``binding`` trajectory (codes of :data:`model.actors.soviet_policy.BINDING`, per
run, month and good) where a batch kept it, over the months a German-Soviet treaty was in
force, and gives for oil and grain the constraints that bound most often, with their share of
those run-months.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from model.actors.soviet_policy import describe_binding
from model.analysis.compare import BatchResults
from model.analysis.metrics import BINDING_GOODS

GOODS = BINDING_GOODS
HEADER = ["scenario", *(f"{g}: what bound (share of treaty months)" for g in GOODS)]
NOTE = (
    "Per good, the constraint that set Soviet deliveries -- the last of the steps that cut them, "
    "since loosening an earlier one would only have met it -- over the run-months a German-Soviet "
    "treaty was in force: quota (everything due shipped), "
    "supply (the Soviet export pool), suspension (held back by the balancing rule, the USSR's own "
    "watch or an embargo), pacing (German counter-deliveries), rail (the border railway)."
)


def binding_rows(results: BatchResults, names: Sequence[str]) -> list[list[str]]:
    """One row per scenario; empty when the batch did not keep ``binding``."""
    if not results.trajectories_path.exists():
        return []
    with results.trajectories() as ds:
        if "binding" not in ds or "treaties_in_force" not in ds:
            return []
        rows = []
        for name in names:
            if name not in ds["scenario"].values:
                continue
            sub = ds.sel(scenario=name)
            trading = np.asarray(sub["treaties_in_force"].values) > 0  # (run, month)
            cells = [name]
            for good in GOODS:
                codes = np.asarray(sub["binding"].sel(good=good).values)  # (run, month)
                cells.append(describe_binding(codes[trading & ~np.isnan(codes)]))
            rows.append(cells)
        return rows
