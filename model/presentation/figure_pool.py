"""The figures' process pool and its tasks: each scenario's quantiles over runs, each
counterfactual's paired differences (the bootstrap), then one figure per task.

:class:`LazyPool` opens a process pool (one worker per core) at its first task, so that a
report with nothing to draw starts nothing; the task functions are module-level, their data
picklable. :mod:`model.presentation.report_figures` plans the figures and calls these.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from model.analysis.compare import BatchResults, compare
from model.presentation.summaries import summarise_many


def compare_in_pool(results: BatchResults, baseline: str, seed: int, executor: Any) -> pd.DataFrame:
    """:func:`~model.analysis.compare.compare`, one counterfactual per task on ``executor``
    (the same table: each scenario's bootstrap has its own random stream)."""
    names = results.scenarios
    if baseline not in names or len(names) < 2:
        return compare(results, baseline, seed)  # its error
    parts = {
        name: value
        for _, name, value in executor.map(
            prepare_task, compare_tasks(results, baseline, seed), failed
        )
    }
    return paired_table([parts[n] for n in names if n != baseline])


def compare_tasks(
    results: BatchResults, baseline: str, seed: int, outcomes: Sequence[str] | None = None
) -> list[tuple[str, Any]]:
    """A task per counterfactual; ``outcomes`` (ids as in the table, e.g.
    ``stockout_oil:share``) keeps only the columns those are compared from -- the same rows
    for them, since every outcome is resampled with the same replications."""
    others = [n for n in results.scenarios if n != baseline]
    return [("compare", (_pair(results, baseline, n, outcomes), baseline, seed)) for n in others]


def summary_tasks(trajectories: Path, names: Sequence[str], workers: int) -> list[tuple[str, Any]]:
    """The scenarios' summaries in one task per worker (each opens the file once)."""
    groups = max(1, min(workers, len(names)))
    size = -(-len(names) // groups)
    return [
        ("summaries", (trajectories, list(names[i : i + size]))) for i in range(0, len(names), size)
    ]


class LazyPool:
    """An executor opened at its first task: a process pool of ``workers`` (default one per
    core), or this process for one worker; nothing started when there is nothing to do."""

    def __init__(self, workers: int | None = None):
        from model.batch.executors import default_workers

        self.workers = default_workers() if workers is None else workers
        self.inner: Any = None

    def __enter__(self) -> LazyPool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.inner is not None:
            self.inner.__exit__(*exc)

    def map(
        self, fn: Callable[[Any], Any], tasks: Sequence[Any], fail: Callable[..., Any]
    ) -> Iterator[Any]:
        from model.batch.executors import PoolExecutor, SerialExecutor

        if not tasks:
            return iter(())
        if self.inner is None:
            pool = self.workers > 1
            self.inner = PoolExecutor(self.workers, preload=PRELOAD) if pool else SerialExecutor()
            self.inner.__enter__()
        return self.inner.map(fn, tasks, fail)


# what a fork server preloads for the figure workers (when the pool cannot fork)
PRELOAD = (
    "model.presentation.report_figures",
    "model.presentation.figure_pool",
    "model.presentation.plots",
)


def _pair(
    results: BatchResults, baseline: str, name: str, outcomes: Sequence[str] | None = None
) -> BatchResults:
    """The result restricted to the baseline's and one counterfactual's rows (a task's data),
    and with ``outcomes`` to the columns they are compared from."""
    table = results.outcomes
    scenario = table["scenario"].astype(str)
    rows = scenario.isin([baseline, name])
    if outcomes is None:
        return replace(results, outcomes=table[rows])
    wanted = {"scenario", "replication", *(o.split(":")[0] for o in outcomes)}
    return replace(results, outcomes=table.loc[rows, [c for c in table.columns if c in wanted]])


def paired_table(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """One counterfactual's :func:`~model.analysis.compare.compare` table each, joined in
    order: the table ``compare`` gives for all of them (each scenario's bootstrap has its
    own random stream)."""
    table = pd.concat(list(parts), ignore_index=True)
    table.attrs.update(parts[0].attrs)
    return table


def prepare_task(task: tuple[str, Any]) -> tuple[str, str, Any]:
    """In a worker: some scenarios' summaries (by name), or one counterfactual's paired
    differences."""
    kind, args = task
    with warnings.catch_warnings():  # months outside a scenario's window are NaN
        warnings.filterwarnings("ignore", "All-NaN slice|Mean of empty slice")
        if kind == "summaries":
            return kind, "", summarise_many(*args)
        pair, baseline, seed = args
        name = next(n for n in pair.scenarios if n != baseline)
        return kind, name, compare(pair, baseline, seed)


def failed(task: Any, record: dict[str, Any]) -> Any:
    raise RuntimeError(f"{record['error']}: {record['message']}")


def figure_task(task: tuple[Callable[[], Any], Path]) -> tuple[Path, float, bool]:
    """In a worker: draw one figure and save it; its path, seconds and whether it drew."""
    from model.presentation import kept_grid, plots

    make, path = task
    t0 = time.perf_counter()
    # months outside a window are NaN; a worker's grids of axes are kept (one figure at a time)
    with warnings.catch_warnings(), plots.drawing(), kept_grid.reusing():
        warnings.filterwarnings("ignore", "All-NaN slice|Mean of empty slice")
        fig = make()
        if fig is not None:
            plots.save(fig, path)
    return path, time.perf_counter() - t0, fig is not None
