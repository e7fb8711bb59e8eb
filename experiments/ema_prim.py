"""Scenario discovery with EMA Workbench: where does German oil run out by October 1941?

A Latin hypercube over five uncertain numbers of the baseline (their ranges are the
scenario's own distributions) is evaluated by pactsim's API in ONE vectorised call
(``model.evaluate``, no shocks); EMA Workbench's PRIM (``pip install -e ".[ema]"``) then
finds the box of the uncertainty space in which the Reich's oil runs out by October 1941, four months into the
war with the USSR.

EMA's ``perform_experiments`` calls a model function once per experiment (about 0.4 s each
here, 400 points ~ 3 min); handing the API's table to PRIM as ``(experiments, outcomes)``
keeps EMA's sampling and analysis and costs a few seconds. Run it::

    .venv/bin/python experiments/ema_prim.py [--points 400] [--seed 1939]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import model

UNCERTAIN = (  # key path -> the bounds of its distribution in scenarios/baseline.toml
    "germany.initial_stock.oil",
    "germany.synthetic.oil.utilisation",
    "routes.danube_rail.capacity_t_per_month",
    "soviet_union.production.oil.export_share",
    "blockade.effectiveness",
)
BY = "1941-10"  # oil runs out by then: within four months of the invasion (22 June 1941)


def lhs_design(scenario, n_points: int, seed: int) -> pd.DataFrame:
    """A Latin hypercube over each parameter's [low, high], as a design DataFrame.

    SciPy's sampler, not EMA's ``LHSSampler``: EMA 2.5 shuffles with NumPy's global RNG,
    which this project never seeds (docs/architecture.md §11.1), so its design would not repeat.
    """
    from scipy.stats import qmc

    low = np.array([scenario.get(p)["low"] for p in UNCERTAIN], dtype=float)
    high = np.array([scenario.get(p)["high"] for p in UNCERTAIN], dtype=float)
    unit = qmc.LatinHypercube(d=len(UNCERTAIN), seed=np.random.default_rng(seed)).random(n_points)
    return pd.DataFrame(qmc.scale(unit, low, high), columns=list(UNCERTAIN))


def discover(n_points: int = 400, seed: int = 1939, threshold: float = 0.8):
    """(design, outcomes table, PRIM box, seconds): the whole loop, timed."""
    from ema_workbench.analysis import prim

    start = time.perf_counter()
    base = model.load_scenario("baseline")
    design = lhs_design(base, n_points, seed)
    table = model.evaluate(base, design, shocks="central")
    out = table["stockout_oil"].notna() & (table["stockout_oil"].fillna("9999-99") <= BY)
    finder = prim.Prim(design, out.to_numpy(dtype=int), threshold=threshold)
    box = finder.find_box()
    return design, table, box, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--points", type=int, default=400, help="Latin-hypercube points")
    parser.add_argument("--seed", type=int, default=1939, help="seed of the design")
    args = parser.parse_args(argv)
    design, table, box, seconds = discover(args.points, args.seed)
    share = (table["stockout_oil"].fillna("9999-99") <= BY).mean()
    print(f"{len(design)} points, oil runs out by {BY} in {share:.0%} of them; {seconds:.1f} s")
    print(f"PRIM box: coverage {box.coverage:.2f}, density {box.density:.2f}")
    print(box.box_lim.to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
