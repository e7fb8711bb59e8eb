"""``pactsim bench --profile R,...``: where the time of one month goes, at each chunk size R
(docs/architecture.md §6: at R = 1 a month's cost is the number of numpy calls it makes)."""

from __future__ import annotations

import cProfile
import io
import pstats
import time

import numpy as np

from model.files.scenario import shipped


def profile_months(sizes: list[int], top: int = 25, seed: int = 0) -> str:
    """cProfile of the baseline's month step at each chunk size R (``pactsim bench
    --profile R,...``): a model of R runs is built (not profiled), then its months are
    stepped under the profiler; a small R repeats that for more models (20 at R = 1) so the
    numbers are not one model's. The report gives, per size, µs per month and per
    run-month and the ``top`` functions by time of their own."""
    from model.engine.runner import draw_uniforms
    from model.engine.simulation import PactModel, released_models
    from model.files.scenario import load

    scenario = load(shipped("scenarios") / "baseline.toml")
    out = io.StringIO()
    for size in sizes:
        repeats = max(1, min(20, -(-2000 // size))) if size < 2000 else 1
        profiler, months = cProfile.Profile(), 0
        wall = 0.0
        for i in range(repeats):
            reps = np.arange(i * size, (i + 1) * size)
            uniforms = draw_uniforms(scenario, seed, reps)
            with released_models():
                model = PactModel(
                    scenario, n_runs=size, seed=seed, replications=reps, uniforms=uniforms
                )
                t0 = time.perf_counter()
                profiler.enable()
                for _ in range(model.window.n_months):
                    model.step()
                profiler.disable()
                wall += time.perf_counter() - t0
                months += model.window.n_months
        print(
            f"== R = {size}: {repeats} model(s) x {months // repeats} months; "
            f"{1e6 * wall / months:,.0f} us per month, {1e6 * wall / (months * size):.2f} us per "
            f"run-month (under the profiler, which slows small calls most)",
            file=out,
        )
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()
