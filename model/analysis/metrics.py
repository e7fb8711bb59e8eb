"""The outcomes a comparison reads: which columns, under what label, unit and statistic.

:func:`metrics_for` picks, from the columns of an outcomes table, the outcomes that
``pactsim compare``, the report and the figures show, in reading order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from model.engine.outcomes import label as column_date

KEY_DATE = "1941-06"  # Barbarossa, 22 June 1941

# ---------------------------------------------------------------------------------------
# what the summaries lead with, declared once: the report, pactsim compare and pactsim run
# ---------------------------------------------------------------------------------------
# The outcomes of the headline table and the summary chart, in reading order ("<column>:share"
# is the share of runs in which the good runs out).
HEADLINE = (
    "stockout_oil",
    "stockout_oil:share",
    "stockout_rubber",
    "stockout_manganese",
    f"war_readiness_{KEY_DATE.replace('-', '_')}",
    "military_oil_met_after_1941_06",  # discriminates where war readiness on the key date does not (issue 12)
    "shortage_oil",
    "imports_rm_soviet_union",
    "arrears_rm_max",
)

# pactsim compare's table: (outcome in the comparison, column heading); a stock-out shows its shift with the share
HEADLINE_COLUMNS = (
    ("stockout_oil", "oil runs out: shift, months (share of runs out)"),
    ("stockout_rubber", "rubber runs out: shift, months (share)"),
    ("shortage_oil", "oil shortage (kt)"),
    (f"cover_oil_{column_date(KEY_DATE)}", "oil cover 22 Jun 1941 (months)"),
    ("imports_rm_soviet_union", "imports from the USSR (M RM)"),
    ("arrears_rm_max", "peak German arrears (M RM)"),
)

# what limited Soviet deliveries is shown for these goods (pactsim run, the report's table)
BINDING_GOODS = ("oil", "grain")


# ---------------------------------------------------------------------------------------
# outcomes compared
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Metric:
    """One outcome column as compared: its label, display unit and statistic."""

    column: str
    group: str
    label: str
    unit: str
    scale: float = 1.0  # raw value x scale = value in `unit`
    statistic: str = "mean"  # "mean" or "median" (censored stock-out months)
    kind: str = (
        "value"  # "value"; "month": stock-out month (censored); "share": % of runs that run out
    )

    @property
    def censored(self) -> bool:
        return self.kind == "month"


def supply_metrics(have: set[str], critical: Sequence[str]) -> list[Metric]:
    """The outcomes that discriminate where war readiness does not (issue 12): military
    supply after the invasion and the depth of civil rationing by critical good."""
    out: list[Metric] = []
    for col, label, unit, scale in (
        (
            "military_oil_met_after_1941_06",
            "military oil demand met after the invasion",
            "%",
            100.0,
        ),
        ("military_short_months", "months with military use below demand", "months", 1.0),
    ):
        if col in have:
            out.append(Metric(col, "military supply", label, unit, scale))
    for good in critical:
        if f"civil_cut_mean_{good}" in have:
            out.append(
                Metric(
                    f"civil_cut_mean_{good}",
                    "civil rationing",
                    f"{good} civil cut (mean)",
                    "%",
                    100.0,
                )
            )
    return out


def metrics_for(
    columns: Sequence[str],
    units: dict[str, str] | None = None,
    key_date: str = KEY_DATE,
    critical: Sequence[str] = (),
) -> list[Metric]:
    """The compared outcomes present among ``columns``, in reading order (``critical``: the
    catalogue's critical goods)."""
    have = set(columns)
    out = goods_metrics(have, units or {}, key_date, critical)
    if f"war_readiness_{column_date(key_date)}" in have:
        out.append(
            Metric(
                f"war_readiness_{column_date(key_date)}",
                "war readiness",
                f"war readiness {key_date}",
                "% pts",
                100.0,
            )
        )
    out += supply_metrics(have, critical)
    out += stock_metrics(columns, units or {}, critical)
    for col in columns:
        if col.startswith("imports_rm_"):
            origin = col.removeprefix("imports_rm_")
            out.append(
                Metric(
                    col, "imports (RM)", f"imports from {origin.replace('_', ' ')}", "M RM", 1e-6
                )
            )
    extras = (
        (
            "soviet_to_invasion_rm",
            "Soviet deliveries",
            "Soviet deliveries to the invasion",
            "M RM",
            1e-6,
        ),
        ("arrears_rm_max", "clearing", "German arrears (peak)", "M RM", 1e-6),
        ("clearing_balance_rm", "clearing", "clearing balance at the end", "M RM", 1e-6),
        ("suspension_months", "clearing", "months of Soviet suspension", "months", 1.0),
    )
    for col, group, label, unit, scale in extras:
        if col in have:
            out.append(Metric(col, group, label, unit, scale))
            if col == "soviet_to_invasion_rm":
                out += soviet_tonnage_metrics(columns, units or {}, key_date)
    return out


def stock_metrics(
    columns: Sequence[str], units: dict[str, str], critical: Sequence[str]
) -> list[Metric]:
    """German stocks of the critical goods at the outbreak of war and on the eve of the
    invasion (``STOCK_DATES``), and the months of campaign requirement they cover (issue 19)."""
    from model.engine.outcomes import INVASION_DATE, STOCK_DATES

    have = set(columns)
    out: list[Metric] = []
    for date in STOCK_DATES:
        for good in critical:
            col = f"stock_{good}_{column_date(date)}"
            if col in have:
                unit, scale = ("kg", 1.0) if units.get(good) == "kg" else ("kt", 1e-3)
                out.append(Metric(col, f"stocks {date}", f"{good} stock {date}", unit, scale))
    for date in STOCK_DATES:
        for col, label in (
            (f"credit_drawn_rm_{column_date(date)}", f"credit drawn to {date}"),
            (f"soviet_debt_rm_{column_date(date)}", f"Soviet credit debt {date}"),
        ):
            if col in have:
                out.append(Metric(col, "credit", label, "M RM", 1e-6))
    for when, shown in (
        ("invasion", "at the invasion"),
        (column_date(INVASION_DATE), INVASION_DATE),
    ):
        for good in (*critical, "min"):
            col = f"campaign_cover_{good}_{when}"
            if col in have:
                label = "smallest of the critical goods" if good == "min" else good
                out.append(
                    Metric(col, "campaign stocks", f"campaign cover {shown}: {label}", "months")
                )
    return out


def soviet_tonnage_metrics(
    columns: Sequence[str], units: dict[str, str], key_date: str
) -> list[Metric]:
    """Soviet deliveries to Germany up to each run's invasion month by good, in tonnes (kg
    where the catalogue counts a good in kg, e.g. platinum)."""
    out = []
    for col in columns:
        good = col.removeprefix("soviet_to_invasion_")
        if col.startswith("soviet_to_invasion_") and good != "rm":
            unit = "kg" if units.get(good) == "kg" else "t"
            label = f"Soviet {good.replace('_', ' ')} to the invasion"
            out.append(Metric(col, "Soviet deliveries", label, unit))
    return out


def goods_metrics(
    have: set[str], units: dict[str, str], key_date: str, critical: Sequence[str]
) -> list[Metric]:
    """Per critical good: when it runs out (month, share of runs), its shortage, its cover."""
    out: list[Metric] = []
    for good in critical:
        if f"stockout_{good}" in have:
            out.append(
                Metric(
                    f"stockout_{good}",
                    "runs out",
                    f"{good} runs out: shift of the month",
                    "months",
                    1.0,
                    "median",
                    "month",
                )
            )
            out.append(
                Metric(
                    f"stockout_{good}",
                    "runs out",
                    f"runs out of {good}",
                    "% of runs",
                    100.0,
                    "mean",
                    "share",
                )
            )
    for good in critical:
        if f"shortage_{good}" in have:
            unit, scale = ("kg", 1.0) if units.get(good) == "kg" else ("kt", 1e-3)
            out.append(
                Metric(f"shortage_{good}", "cumulative shortage", f"{good} shortage", unit, scale)
            )
    for good in critical:
        if f"cover_{good}_{column_date(key_date)}" in have:
            out.append(
                Metric(
                    f"cover_{good}_{column_date(key_date)}",
                    f"cover on {key_date}",
                    f"{good} cover {key_date}",
                    "months of demand",
                )
            )
    return out
