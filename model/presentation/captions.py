"""The captions of the comparison figures (:mod:`model.presentation.report_figures`), as
``report.md`` and ``report.html`` print them under each figure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from model.presentation.summaries import MAX_SUPPLIERS

if TYPE_CHECKING:
    import pandas as pd

    from model.presentation.report_figures import ScenarioInfo


def caption_stocks(name: str, baseline: str, infos: dict[str, ScenarioInfo]) -> str:
    if name == baseline:
        return (
            "German stocks of each critical good, median of the runs with the 50 % and 90 % bands."
        )
    return (
        f"German stocks of each critical good under '{infos[name].title}' ({name}, coloured) against the "
        f"baseline (black): median of the runs, the middle 50 % (dark band) and 90 % (light band). "
        "The strips along the bottom mark months in which most runs are short of the good (1 % or more of "
        "demand unmet). Dashed vertical lines, numbered: treaty signatures and the invasion."
    )


def caption_shortages() -> str:
    return (
        "Monthly German shortage of each critical good -- the share of demand (civil and military, after "
        "rationing) that went unmet -- for every scenario: median of the runs and 90 % band."
    )


def caption_stockouts(months: Sequence[str]) -> str:
    return (
        "The distribution of the month in which German stocks of each critical good run out (fall below 1 % of "
        "a month's demand): the share of runs that have run out by each month. A curve that ends below 100 % "
        f"leaves the rest of the runs not running out by {months[-1]} (censored)."
    )


def caption_deliveries() -> str:
    return (
        f"Cumulative imports into Germany over the whole window, valued at reference prices (M RM), mean over runs, "
        f"stacked by supplier; the {MAX_SUPPLIERS} largest suppliers are shown separately and the rest as 'other'. "
        "Soviet deliveries include goods the USSR bought abroad for Germany."
    )


def caption_clearing() -> str:
    return (
        "Top: the German-Soviet clearing balance (Soviet deliveries minus German deliveries not financed by the "
        "1939 credit, M RM), median and middle 50 % of runs; triangles mark months in which most runs are under a "
        "Soviet suspension. Bottom: the share of runs in which Soviet deliveries are suspended each month."
    )


def caption_differences(table: pd.DataFrame) -> str:
    return (
        "The headline outcomes as paired differences against the baseline: for each replication the same "
        "uncertain parameters and shocks are used in every scenario, so the difference is taken run by run. "
        "Dots: mean difference (median for the month a good runs out); bars: "
        f"{table.attrs.get('confidence', 0.9):.0%} percentile bootstrap intervals over replications. "
        f"Runs in which a good never runs out count as {table.attrs.get('censor_month', 'the month after the window')} "
        "(censored), so such a difference is a bound."
    )
