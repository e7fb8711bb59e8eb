"""Figures and a report from a saved result folder, and ``pactsim report``.

Everything here reads a result folder (``outcomes.parquet``, ``trajectories.nc``,
``manifest.json``) and nothing re-runs the model (STYLE.md habit 9). :func:`write_figures`
draws the comparison figures into ``figures/`` (``pactsim batch`` calls it);
``pactsim report RESULT_DIR`` adds ``paired_differences.csv``, ``report.md`` and a
self-contained ``report.html`` (figures embedded as base64 PNG) for readers who will never
open a terminal: the experiment, each scenario's question, the headline table of paired
differences against the baseline, the figures with captions, and the provenance.

The statistics are those of :mod:`model.analysis.compare`; the drawing is :mod:`model.presentation.plots`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from model.analysis.compare import (
    HEADLINE,
    KEY_DATE,
    BatchResults,
    compare,
    fmt,
    fmt_diff,
    fmt_interval,
    fmt_level,
    load_results,
    method_lines,
)
from model.errors import UserError

if TYPE_CHECKING:
    import xarray as xr

    from model.files.scenario import Scenario

MAX_SUPPLIERS = 7  # suppliers drawn separately in the deliveries chart; the rest are "other"


@dataclass(frozen=True)
class Figure:
    path: Path
    title: str
    caption: str


# ---------------------------------------------------------------------------------------
# scenarios: titles, questions, event markers (from manifest.json and the scenario files)
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScenarioInfo:
    name: str
    title: str
    question: str
    files: tuple[tuple[str, str, str], ...]  # (path, sha256 in the manifest, status now)
    data: dict[str, Any]


def scenario_infos(
    results: BatchResults, scenarios: Sequence[Scenario] | None = None
) -> dict[str, ScenarioInfo]:
    """Title, question and files of every scenario in the result, in the result's order."""
    given = {s.name: s for s in scenarios or ()}
    recorded = {
        str(p.get("name")): p for p in results.manifest.get("scenarios", []) if isinstance(p, dict)
    }
    out = {}
    for name in results.scenarios:
        prov = recorded.get(name, {})
        files = tuple(_file_status(f) for f in prov.get("files", []) if isinstance(f, dict))
        if name in given:
            data = dict(given[name].data)
        else:
            data = _frozen_data(results.path / "scenarios" / f"{name}.toml") or _scenario_data(prov)
        title = str(prov.get("title") or data.get("title") or name)
        question = str(prov.get("question") or data.get("question") or "")
        out[name] = ScenarioInfo(name, title, question, files, data)
    return out


def _file_status(entry: dict[str, Any]) -> tuple[str, str, str]:
    path, sha = str(entry.get("path", "")), str(entry.get("sha256", ""))
    p = Path(path)
    if not p.exists():
        return path, sha, "missing now"
    now = hashlib.sha256(p.read_bytes()).hexdigest()
    return path, sha, "unchanged" if now == sha else "changed since the run"


def _frozen_data(path: Path) -> dict[str, Any]:
    """The resolved scenario a batch froze into its folder (scenarios/<name>.toml), or {}."""
    import tomllib

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def _scenario_data(prov: dict[str, Any]) -> dict[str, Any]:
    """The resolved data of the scenario file named in the manifest, or {} if unreadable."""
    from model.files.scenario import ScenarioError, load, read_toml

    files = [f.get("path") for f in prov.get("files", []) if isinstance(f, dict)]
    if not files or not Path(files[-1]).exists():  # type: ignore[arg-type]
        return {}
    try:
        return dict(load(files[-1]).data)  # type: ignore[arg-type]
    except (ScenarioError, ValueError, KeyError, OSError):
        try:
            return read_toml(Path(files[-1]))  # type: ignore[arg-type]
        except (ScenarioError, OSError):
            return {}


def markers_for(
    infos: dict[str, ScenarioInfo], names: Sequence[str], baseline: str
) -> list[tuple[str, str]]:
    """Event markers of the baseline, plus those a scenario moves (labelled with its name)."""
    from model.presentation.plots import event_markers

    base = event_markers(infos[baseline].data) if baseline in infos else []
    out = list(base)
    for name in names:
        if name == baseline or name not in infos:
            continue
        for month, label in event_markers(infos[name].data):
            if (month, label) not in base:
                out.append((month, f"{label} ({name})"))
    return out


# ---------------------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------------------
FIGURES = (
    "stocks",  # one per counterfactual: stocks_<scenario>
    "shortages",
    "stockout_months",
    "deliveries_by_supplier",
    "clearing_balance",
    "paired_differences",
)


def write_figures(
    folder: Path,
    baseline: str = "baseline",
    scenarios: Sequence[Scenario] | None = None,
    figures: Sequence[str] | None = None,
    seed: int = 0,
) -> list[Path]:
    """Draw the comparison figures of a result folder into ``folder/figures``; their paths.

    ``figures`` names the ones wanted (see :data:`FIGURES`; default all). A figure whose data
    the folder lacks (e.g. trajectories not kept) is left out.
    """
    return [
        f.path for f in draw_figures(load_results(folder), baseline, scenarios, None, seed, figures)
    ]


def draw_figures(
    results: BatchResults,
    baseline: str = "baseline",
    scenarios: Sequence[Scenario] | None = None,
    table: pd.DataFrame | None = None,
    seed: int = 0,
    only: Sequence[str] | None = None,
) -> list[Figure]:
    from model.presentation import plots

    unknown = sorted(set(only or ()) - set(FIGURES))
    if unknown:
        raise UserError(
            f"unknown figure(s) {', '.join(unknown)}; figures are: {', '.join(FIGURES)}"
        )
    wanted = set(only) if only is not None else set(FIGURES)
    out_dir = results.path / "figures"
    out_dir.mkdir(exist_ok=True)
    names = results.scenarios
    baseline = baseline if baseline in names else names[0]
    names = [baseline, *[n for n in names if n != baseline]]
    infos = scenario_infos(results, scenarios)
    styles = plots.scenario_styles(names, baseline)
    ds = _trajectories(results)
    have = set(ds.data_vars) if ds is not None else set()
    goods = [
        g
        for g in results.critical
        if g in set(results.units) or (ds is not None and g in set(map(str, ds["good"].values)))
    ]
    base_markers = markers_for(infos, [baseline], baseline)
    figures: list[Figure] = []

    def save(fig: Any, name: str, title: str, caption: str) -> None:
        path = out_dir / f"{name}.png"
        plots.save(fig, path)
        figures.append(Figure(path, title, caption))

    if "stocks" in wanted and {"stock", "shortage", "demand"} <= have:
        for name in names[1:] or names:
            shown = [baseline, name] if name != baseline else [baseline]
            fig = _stock_fans(ds, goods, shown, styles, markers_for(infos, shown, baseline), infos)  # type: ignore[arg-type]
            title = f"German stocks: {infos[name].title}" if name != baseline else "German stocks"
            save(fig, f"stocks_{name}", title, _caption_stocks(name, baseline, infos))
    if "shortages" in wanted and {"shortage", "demand"} <= have:
        fig = _panels(
            ds,
            goods,
            names,
            styles,
            base_markers,
            plots.plot_shortage_curves,
            "German shortages of critical goods: unmet demand, % of demand",
            _legend_shortages(),
        )
        save(fig, "shortages", "Shortages", _caption_shortages())
    if "stockout_months" in wanted and any(
        f"stockout_{g}" in results.outcomes for g in results.critical
    ):
        fig = _stockout_panels(
            results,
            [g for g in results.critical if f"stockout_{g}" in results.outcomes],
            names,
            styles,
        )
        save(fig, "stockout_months", "When stocks run out", _caption_stockouts(results.months))
    if "deliveries_by_supplier" in wanted:
        fig = _deliveries(results, names)
        if fig is not None:
            save(fig, "deliveries_by_supplier", "Imports by supplier", _caption_deliveries())
    if "clearing_balance" in wanted and "clearing_balance_rm" in have:
        fig = _clearing(ds, names, styles, base_markers)
        save(fig, "clearing_balance", "The clearing account", _caption_clearing())
    if "paired_differences" in wanted and len(names) > 1:
        table = table if table is not None else compare(results, baseline, seed)
        fig = _differences(table, names, styles)
        if fig is not None:
            save(
                fig,
                "paired_differences",
                "Paired differences against the baseline",
                _caption_differences(table),
            )
    return figures


def _trajectories(results: BatchResults) -> xr.Dataset | None:
    """The variables the figures use, read into memory once (None without trajectories)."""
    if not results.trajectories_path.exists():
        return None
    with results.trajectories() as ds:
        keep = [
            v
            for v in ("stock", "shortage", "demand", "unit", "clearing_balance_rm", "suspended")
            if v in ds
        ]
        return ds[keep].load()


def _stock_fans(
    ds: xr.Dataset, goods: Sequence[str], shown: Sequence[str], styles, markers, infos
) -> Any:
    from model.presentation import plots

    fig = plots.new_figure(14, 7.5)
    axes = fig.subplots(2, 4).ravel()
    for ax, good in zip(axes, goods, strict=False):
        plots.plot_stock_fan(ds, good, shown, styles, markers, event_labels=False, ax=ax)
        plots.year_axis(ax)
    for ax in axes[len(goods) : -1]:
        ax.axis("off")
    text = (
        "line: median of the runs\ndark band: middle 50 % of runs\nlight band: 90 % of runs\n"
        "strip along the bottom: months in which\nmost runs are short (>= 1 % of demand unmet)\n"
        + _events_text(markers)
    )
    plots.legend_panel(axes[-1], axes[0], text)
    title = " vs ".join(infos[s].title if s in infos else s for s in reversed(shown))
    if len(shown) == 1:
        title = infos[shown[0]].title if shown[0] in infos else shown[0]
    fig.suptitle(f"German stocks of critical goods -- {title}", fontsize=12)
    return fig


def _panels(ds, goods, names, styles, markers, draw, title: str, text: str) -> Any:
    from model.presentation import plots

    fig = plots.new_figure(14, 7.5)
    axes = fig.subplots(2, 4).ravel()
    for ax, good in zip(axes, goods, strict=False):
        draw(ds, good, names, styles, markers, event_labels=False, ax=ax)
        plots.year_axis(ax)
    for ax in axes[len(goods) : -1]:
        ax.axis("off")
    plots.legend_panel(
        axes[-1], axes[0], text + _events_text(markers), ncol=1 if len(names) <= 8 else 2
    )
    fig.suptitle(title, fontsize=12)
    return fig


def _stockout_panels(results: BatchResults, goods, names, styles) -> Any:
    from model.presentation import plots

    fig = plots.new_figure(14, 7.5)
    axes = fig.subplots(2, 4).ravel()
    table = results.outcomes
    for ax, good in zip(axes, goods, strict=False):
        col = f"stockout_{good}"
        if col not in table:
            ax.axis("off")
            continue
        data = {n: list(table.loc[table["scenario"].astype(str) == n, col]) for n in names}
        plots.plot_stockout_ecdf(data, results.months, good, styles, ax=ax)
        plots.year_axis(ax)
    for ax in axes[len(goods) : -1]:
        ax.axis("off")
    text = (
        "each curve: the share of runs in which the\nGerman stock has run out (less than 1 % of a\n"
        f"month's demand left) by that month;\nwhere a curve ends: the share by {results.months[-1]}\n"
        "(the rest do not run out within the window)"
    )
    plots.legend_panel(axes[-1], axes[0], text, ncol=1 if len(names) <= 8 else 2)
    fig.suptitle("When German stocks of critical goods run out", fontsize=12)
    return fig


def supplier_totals(
    outcomes: pd.DataFrame, names: Sequence[str], max_suppliers: int = MAX_SUPPLIERS
) -> pd.DataFrame:
    """Mean cumulative imports by supplier, M RM: rows scenarios, the largest suppliers then 'other'."""
    cols = [c for c in outcomes.columns if c.startswith("imports_rm_")]
    means = (
        outcomes.groupby(outcomes["scenario"].astype(str))[cols].mean().reindex(list(names)) / 1e6
    )
    means.columns = [c.removeprefix("imports_rm_") for c in cols]
    order = means.max(axis=0).sort_values(ascending=False)
    keep = [s for s in order.index[:max_suppliers] if order[s] > 0]
    rest = [s for s in means.columns if s not in keep]
    out = means[keep].copy()
    if rest and means[rest].to_numpy().sum() > 0:
        out["other"] = means[rest].sum(axis=1)
    return out


def _deliveries(results: BatchResults, names) -> Any:
    from model.presentation import plots

    totals = supplier_totals(results.outcomes, names)
    if totals.empty or totals.shape[1] == 0:
        return None
    fig = plots.new_figure(12, 1.6 + 0.45 * len(names))
    ax = fig.gca()
    plots.plot_deliveries_by_supplier(totals, ax=ax)
    ax.legend(
        ncol=min(totals.shape[1], 8),
        fontsize=8,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        frameon=False,
    )
    fig.suptitle("Where Germany's imports came from: cumulative imports by supplier", fontsize=12)
    return fig


def _clearing(ds, names, styles, markers) -> Any:
    from model.presentation import plots

    fig = plots.new_figure(12, 7.5)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(2.2, 1))
    plots.plot_clearing_balance(ds, names, styles, markers, ax=top)
    top.legend(
        fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title="scenario"
    )
    top.set_title(
        "German-Soviet clearing balance (median, 50 % band; triangles: months most runs are under a Soviet suspension)",
        fontsize=10,
    )
    if "suspended" in ds:
        plots.plot_suspensions(ds, names, styles, (), ax=bottom)
    else:
        bottom.axis("off")
    fig.suptitle("The clearing account and Soviet suspensions", fontsize=12)
    return fig


def headline_rows(table: pd.DataFrame) -> list[str]:
    """The outcome ids of the headline, those present in the table."""
    ids = set(table["outcome"])
    return [h for h in HEADLINE if h in ids]


def _differences(table: pd.DataFrame, names, styles) -> Any:
    from model.presentation import plots

    heads = headline_rows(table)
    if not heads:
        return None
    n_cols = 4
    n_rows = -(-len(heads) // n_cols)
    others = [n for n in names if n in set(table["scenario"])]
    fig = plots.new_figure(15, 0.9 + n_rows * (0.9 + 0.32 * len(others)))
    axes = np.atleast_1d(fig.subplots(n_rows, n_cols)).ravel()
    for i, (ax, outcome) in enumerate(zip(axes, heads, strict=False)):
        rows = (
            table[table["outcome"] == outcome].set_index("scenario").reindex(others).reset_index()
        )
        label = str(rows["label"].iloc[0])
        if rows["unit"].iloc[0] == "months" and rows["group"].iloc[0] == "runs out":
            label += " (median)"
        plots.plot_paired_differences(rows, label, styles, ax=ax)
        if i % n_cols:
            ax.set_yticklabels([])
    for ax in axes[len(heads) :]:
        ax.axis("off")
    level = f"{table.attrs.get('confidence', 0.9):.0%}"
    fig.suptitle(
        f"Each counterfactual minus the baseline, same runs paired (dot: estimate; bar: {level} bootstrap interval)",
        fontsize=12,
    )
    return fig


# ---------------------------------------------------------------------------------------
# captions
# ---------------------------------------------------------------------------------------
def _caption_stocks(name: str, baseline: str, infos: dict[str, ScenarioInfo]) -> str:
    if name == baseline:
        return (
            "German stocks of each critical good, median of the runs with the 50 % and 90 % bands."
        )
    return (
        f"German stocks of each critical good under '{infos[name].title}' ({name}, coloured) against the "
        f"baseline (black): median of the runs, the middle 50 % (dark band) and 90 % (light band). "
        "The strips along the bottom mark months in which most runs are short of the good (1 % or more of "
        "demand unmet). Dashed vertical lines: treaty signatures and the invasion."
    )


def _legend_shortages() -> str:
    return "line: median of the runs\nband: 90 % of runs\n"


def _events_text(markers: Sequence[tuple[str, str]]) -> str:
    if not markers:
        return ""
    return "dashed lines:\n" + "\n".join(f"  {m} {label}" for m, label in sorted(markers))


def _caption_shortages() -> str:
    return (
        "Monthly German shortage of each critical good -- the share of demand (civil and military, after "
        "rationing) that went unmet -- for every scenario: median of the runs and 90 % band."
    )


def _caption_stockouts(months: Sequence[str]) -> str:
    return (
        "The distribution of the month in which German stocks of each critical good run out (fall below 1 % of "
        "a month's demand): the share of runs that have run out by each month. A curve that ends below 100 % "
        f"leaves the rest of the runs not running out by {months[-1]} (censored)."
    )


def _caption_deliveries() -> str:
    return (
        f"Cumulative imports into Germany over the whole window, valued at reference prices (M RM), mean over runs, "
        f"stacked by supplier; the {MAX_SUPPLIERS} largest suppliers are shown separately and the rest as 'other'. "
        "Soviet deliveries include goods the USSR bought abroad for Germany."
    )


def _caption_clearing() -> str:
    return (
        "Top: the German-Soviet clearing balance (Soviet deliveries minus German deliveries not financed by the "
        "1939 credit, M RM), median and middle 50 % of runs; triangles mark months in which most runs are under a "
        "Soviet suspension. Bottom: the share of runs in which Soviet deliveries are suspended each month."
    )


def _caption_differences(table: pd.DataFrame) -> str:
    return (
        "The headline outcomes as paired differences against the baseline: for each replication the same "
        "uncertain parameters and shocks are used in every scenario, so the difference is taken run by run. "
        "Dots: mean difference (median for the month a good runs out); bars: "
        f"{table.attrs.get('confidence', 0.9):.0%} percentile bootstrap intervals over replications. "
        f"Runs in which a good never runs out count as {table.attrs.get('censor_month', 'the month after the window')} "
        "(censored), so such a difference is a bound."
    )


# ---------------------------------------------------------------------------------------
# the report
# ---------------------------------------------------------------------------------------
def headline_table(table: pd.DataFrame, names: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    """Header and rows (one per scenario): 'difference [interval]' for each headline outcome."""
    heads = headline_rows(table)
    header = ["scenario"]
    for h in heads:
        r = table[table["outcome"] == h].iloc[0]
        header.append(f"{r['label']} ({r['unit']})")
    rows = []
    for name in names:
        part = table[table["scenario"] == name].set_index("outcome")
        if part.empty:
            continue
        cells = [name]
        for h in heads:
            r = part.loc[h]
            mark = "*" if r["excludes_zero"] else ""
            cells.append(f"{fmt_diff(r)}{mark} {fmt_interval(r)}")
        rows.append(cells)
    return header, rows


def findings(table: pd.DataFrame, names: Sequence[str]) -> dict[str, list[str]]:
    """Per scenario, a few plain sentences on the headline outcomes whose interval excludes 0."""
    out: dict[str, list[str]] = {}
    level = f"{table.attrs.get('confidence', 0.9):.0%}"
    for name in names:
        part = table[table["scenario"] == name].set_index("outcome")
        lines = []
        for h in headline_rows(table):
            if h not in part.index:
                continue
            r = part.loc[h]
            if not r["excludes_zero"]:
                continue
            if r["group"] == "runs out" and r["unit"] == "months":
                d = r["difference"]
                when = "earlier" if d < 0 else "later"
                text = (
                    f"{r['label'].split()[0]} runs out {fmt(abs(d), 'months')} months {when} "
                    f"(median; {level} interval {fmt_interval(r)})"
                )
                if r["note"]:
                    text += f" -- {r['note']}"
            else:
                unit = "%" if r["unit"].startswith("%") else r["unit"]
                text = (
                    f"{r['label']}: {fmt_level(r, 'baseline')} -> {fmt_level(r, 'scenario')} {unit} "
                    f"({fmt_diff(r)} {r['unit']}, {level} interval {fmt_interval(r)})"
                )
            lines.append(text)
        out[name] = lines
    return out


def _experiment_lines(results: BatchResults) -> list[tuple[str, str]]:
    m = results.manifest
    exp = m.get("experiment") if isinstance(m.get("experiment"), dict) else {}
    reps = results.outcomes.groupby("scenario")["replication"].nunique()
    items = [
        (
            "experiment",
            str(exp.get("title") or exp.get("name") or m.get("name") or results.path.name),  # type: ignore[union-attr]
        ),
        ("description", str(exp.get("question") or exp.get("description") or "")),  # type: ignore[union-attr]
        ("sampler", str(exp.get("sampler", ""))),  # type: ignore[union-attr]
        ("result folder", str(results.path)),
        ("scenarios", str(len(results.scenarios))),
        ("replications per scenario", ", ".join(sorted({str(v) for v in reps.values}))),
        ("runs in total", f"{len(results.outcomes):,}"),
        ("window", f"{results.months[0]} to {results.months[-1]}"),
        ("master seed", str(m.get("seed", "unknown"))),
        ("command", " ".join(map(str, m.get("command", []))) or "unknown"),
    ]
    return [(k, v) for k, v in items if v]


def _provenance_lines(results: BatchResults) -> list[tuple[str, str]]:
    m = results.manifest
    code = m.get("code", {}) if isinstance(m.get("code"), dict) else {}
    commit = str(code.get("commit", "unknown"))
    if code.get("dirty"):
        commit += " (with local changes to model/)"
    pk = m.get("packages", {}) if isinstance(m.get("packages"), dict) else {}
    return [
        ("status", str(m.get("status", "unknown"))),
        ("code commit", commit),
        ("started / finished", f"{m.get('started', '?')} / {m.get('finished', '?')}"),
        ("platform", str(m.get("platform", "unknown"))),
        ("packages", ", ".join(f"{k} {v}" for k, v in pk.items()) or "unknown"),
    ]


def render_markdown(
    results: BatchResults, table: pd.DataFrame | None, figures: Sequence[Figure], infos
) -> str:
    names = results.scenarios
    out = [f"# {dict(_experiment_lines(results))['experiment']}", ""]
    out += (
        ["## The experiment", ""]
        + [f"- **{k}**: {v}" for k, v in _experiment_lines(results)]
        + [""]
    )
    out += [
        "## Scenarios and their questions",
        "",
        "| scenario | title | question |",
        "|---|---|---|",
    ]
    out += [f"| `{n}` | {_md(infos[n].title)} | {_md(infos[n].question)} |" for n in names] + [""]
    if table is not None and not table.empty:
        header, rows = headline_table(table, names)
        out += [f"## Headline: paired differences against `{table.attrs.get('baseline')}`", ""]
        out += [
            f"Each cell: the difference and its {table.attrs.get('confidence', 0.9):.0%} interval; "
            "`*` marks an interval that excludes 0.",
            "",
        ]
        out += ["| " + " | ".join(_md(h) for h in header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(_md(c) for c in r) + " |" for r in rows] + [""]
        out += [f"- {line}" for line in method_lines(table)] + [""]
        out += [
            "The full table (every outcome, every scenario) is `paired_differences.csv` in this folder.",
            "",
        ]
        notes = findings(table, names)
        if any(notes.values()):
            out += ["### What changes, scenario by scenario", ""]
            for name, lines in notes.items():
                if lines:
                    out += (
                        [f"**{_md(infos[name].title)}** (`{name}`)", ""]
                        + [f"- {_md(x)}" for x in lines]
                        + [""]
                    )
    out += ["## Figures", ""]
    for i, f in enumerate(figures, 1):
        rel = f.path.relative_to(results.path).as_posix()
        out += [
            f"### Figure {i}. {_md(f.title)}",
            "",
            f"![{_md(f.title)}]({rel})",
            "",
            _md(f.caption),
            "",
        ]
    out += ["## Provenance", ""] + [f"- **{k}**: {v}" for k, v in _provenance_lines(results)] + [""]
    out += ["| scenario | file | SHA-256 (at run time) | file now |", "|---|---|---|---|"]
    for n in names:
        for path, sha, status in infos[n].files:
            out.append(f"| `{n}` | `{path}` | `{sha[:16]}…` | {status} |")
    out.append("")
    return "\n".join(out)


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


CSS = """
body { font-family: Georgia, 'Times New Roman', serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
h1, h2, h3 { font-family: Helvetica, Arial, sans-serif; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; vertical-align: top; }
th { background: #f2f2f2; }
td.num { text-align: right; white-space: nowrap; font-family: Menlo, Consolas, monospace; }
td.sig { font-weight: bold; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 0.92em; color: #444; }
.method { font-size: 0.9em; color: #444; }
code { font-size: 0.9em; }
details { margin: 0.5em 0; }
"""


def render_html(
    results: BatchResults, table: pd.DataFrame | None, figures: Sequence[Figure], infos
) -> str:
    e = html.escape
    names = results.scenarios
    exp = _experiment_lines(results)
    title = dict(exp)["experiment"]
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{e(title)}</h1>",
    ]
    parts.append("<h2>The experiment</h2>" + _kv_table(exp))
    parts.append(
        "<h2>Scenarios and their questions</h2><table><tr><th>scenario</th><th>title</th><th>question</th></tr>"
    )
    parts += [
        f"<tr><td><code>{e(n)}</code></td><td>{e(infos[n].title)}</td><td>{e(infos[n].question)}</td></tr>"
        for n in names
    ]
    parts.append("</table>")
    if table is not None and not table.empty:
        header, rows = headline_table(table, names)
        level = f"{table.attrs.get('confidence', 0.9):.0%}"
        parts.append(
            f"<h2>Headline: paired differences against <code>{e(str(table.attrs.get('baseline')))}</code></h2>"
        )
        parts.append(
            f"<p>Each cell: the difference and its {level} interval; bold and <code>*</code>: the interval excludes 0.</p>"
        )
        parts.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>")
        for r in rows:
            cells = [f"<td><code>{e(r[0])}</code></td>"]
            cells += [f"<td class='num{' sig' if '*' in c else ''}'>{e(c)}</td>" for c in r[1:]]
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append(
            "</table><ul class='method'>"
            + "".join(f"<li>{e(x)}</li>" for x in method_lines(table))
            + "</ul>"
        )
        notes = findings(table, names)
        if any(notes.values()):
            parts.append("<h3>What changes, scenario by scenario</h3>")
            for name, lines in notes.items():
                if lines:
                    parts.append(
                        f"<p><b>{e(infos[name].title)}</b> (<code>{e(name)}</code>)</p><ul>"
                        + "".join(f"<li>{e(x)}</li>" for x in lines)
                        + "</ul>"
                    )
    parts.append("<h2>Figures</h2>")
    for i, f in enumerate(figures, 1):
        data = base64.b64encode(f.path.read_bytes()).decode("ascii")
        parts.append(
            f"<figure id='{e(f.path.stem)}'><h3>Figure {i}. {e(f.title)}</h3>"
            f"<img alt='{e(f.title)}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{e(f.caption)}</figcaption></figure>"
        )
    if table is not None and not table.empty:
        parts.append("<h2>Every outcome, scenario by scenario</h2>")
        for name, part in table.groupby("scenario", sort=False):
            parts.append(
                f"<details><summary><code>{e(str(name))}</code> -- {e(infos[str(name)].title)}</summary>"
            )
            parts.append(_full_table(part))
            parts.append("</details>")
    parts.append("<h2>Provenance</h2>" + _kv_table(_provenance_lines(results)))
    parts.append(
        "<table><tr><th>scenario</th><th>file</th><th>SHA-256 at run time</th><th>file now</th></tr>"
    )
    for n in names:
        for path, sha, status in infos[n].files:
            parts.append(
                f"<tr><td><code>{e(n)}</code></td><td><code>{e(path)}</code></td><td><code>{e(sha)}</code></td><td>{e(status)}</td></tr>"
            )
    parts.append("</table></body></html>")
    return "\n".join(parts)


def _kv_table(items: Sequence[tuple[str, str]]) -> str:
    e = html.escape
    return (
        "<table>"
        + "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in items)
        + "</table>"
    )


def _full_table(part: pd.DataFrame) -> str:
    e = html.escape
    level = f"{part.attrs.get('confidence', 0.9):.0%}" if part.attrs else "90%"
    out = [
        f"<table><tr><th>outcome</th><th>unit</th><th>baseline</th><th>scenario</th><th>difference</th><th>{level} interval</th><th>note</th></tr>"
    ]
    for _, r in part.iterrows():
        sig = " sig" if r["excludes_zero"] else ""
        out.append(
            f"<tr><td>{e(r['label'])}</td><td>{e(r['unit'])}</td><td class='num'>{e(fmt_level(r, 'baseline'))}</td>"
            f"<td class='num'>{e(fmt_level(r, 'scenario'))}</td><td class='num{sig}'>{e(fmt_diff(r))}</td>"
            f"<td class='num'>{e(fmt_interval(r))}</td><td>{e(r['note'])}</td></tr>"
        )
    out.append("</table>")
    return "".join(out)


def write_report(
    folder: Path,
    baseline: str = "baseline",
    seed: int = 0,
    scenarios: Sequence[Scenario] | None = None,
) -> dict[str, Path]:
    """Figures, paired_differences.csv, report.md and report.html in ``folder``; their paths."""
    results = load_results(folder)
    names = results.scenarios
    table = None
    if len(names) > 1:
        table = compare(results, baseline if baseline in names else names[0], seed)
    figures = draw_figures(results, baseline, scenarios, table, seed)
    infos = scenario_infos(results, scenarios)
    paths = {}
    if table is not None:
        paths["csv"] = _write_text(folder / "paired_differences.csv", table.to_csv(index=False))
    paths["md"] = _write_text(folder / "report.md", render_markdown(results, table, figures, infos))
    paths["html"] = _write_text(folder / "report.html", render_html(results, table, figures, infos))
    return paths


def _write_text(path: Path, text: str) -> Path:
    """Write via a temporary name and rename, so a reader never sees half a report."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


# ---------------------------------------------------------------------------------------
# pactsim report
# ---------------------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument(
        "result", type=Path, metavar="RESULT_DIR", help="a result folder of `pactsim batch`"
    )
    parser.add_argument(
        "--baseline", default="baseline", help="the scenario the others are compared with"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap intervals")


def main(args: argparse.Namespace) -> int:

    results = load_results(args.result)
    if len(results.scenarios) > 1 and args.baseline not in results.scenarios:
        raise UserError(
            f"{args.result}: no scenario {args.baseline!r}; scenarios are: {', '.join(results.scenarios)}"
        )
    paths = write_report(args.result, args.baseline, args.seed)
    n_fig = len(list((args.result / "figures").glob("*.png")))
    print(f"{n_fig} figures in {args.result / 'figures'}")
    for kind in ("html", "md", "csv"):
        if kind in paths:
            print(f"{kind}: {paths[kind]}")
    return 0


__all__ = ["write_figures", "write_report", "draw_figures", "KEY_DATE"]
