"""The batch's progress: a live bar on a terminal, a plain line per tenth in a log."""

from __future__ import annotations

import time
from typing import Any


def progress_bar(quiet: bool) -> Any:
    """A live bar on a terminal (runs done, runs/s, time left); a line per tenth elsewhere."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class RunsPerSecond(ProgressColumn):
        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f} runs/s" if speed else "- runs/s")

    console = Console(stderr=True)
    if quiet or not console.is_terminal:
        return LogProgress(console, quiet)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs"),
        RunsPerSecond(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
    )


class LogProgress:
    """The progress bar's interface for logs: one plain line each time a tenth is done."""

    def __init__(self, console: Any, quiet: bool):
        self.console, self.quiet = console, quiet
        self.tasks: dict[int, dict[str, Any]] = {}

    def __enter__(self) -> LogProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def add_task(self, description: str, total: int, completed: int = 0) -> int:
        self.tasks[0] = {
            "name": description,
            "total": total,
            "done": completed,
            "start": completed,
            "t0": time.perf_counter(),
            "tenth": 0,
        }
        return 0

    def advance(self, task_id: int, runs: int) -> None:
        t = self.tasks[task_id]
        t["done"] += runs
        tenth = int(10 * t["done"] / t["total"]) if t["total"] else 10
        if self.quiet or tenth <= t["tenth"]:
            return
        t["tenth"] = tenth
        seconds = time.perf_counter() - t["t0"]
        rate = (t["done"] - t["start"]) / seconds if seconds > 0 else 0.0
        left = (t["total"] - t["done"]) / rate if rate else float("nan")
        self.console.print(
            f"{t['name']}: {t['done']}/{t['total']} runs, {rate:,.0f} runs/s, {left:,.0f} s left",
            highlight=False,
        )
