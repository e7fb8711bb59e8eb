"""A report from a saved result folder, and ``pactsim report``.

Everything here reads a result folder (``outcomes.parquet``, ``trajectories.nc``,
``manifest.json``) and nothing re-runs the model (docs/architecture.md §11.2). :func:`write_figures`
(:mod:`model.presentation.report_figures`) draws the comparison figures into ``figures/``;
``pactsim report RESULT_DIR`` adds ``paired_differences.csv``, ``report.md`` and a
self-contained ``report.html`` (figures embedded as base64 PNG) for readers who will never
open a terminal: the experiment, each scenario's question, the headline table of paired
differences against the baseline, the figures with captions, and the provenance.

The statistics are those of :mod:`model.analysis.compare`; the drawing is :mod:`model.presentation.plots`.
"""

from __future__ import annotations

import base64
import html
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from model.analysis.compare import (
    KEY_DATE,
    BatchResults,
    fmt,
    fmt_diff,
    fmt_interval,
    fmt_level,
    load_results,
    method_lines,
)
from model.presentation.binding_table import HEADER as BINDING_HEADER
from model.presentation.binding_table import NOTE as BINDING_NOTE
from model.presentation.binding_table import binding_rows
from model.presentation.figure_pool import LazyPool, compare_in_pool
from model.presentation.report_figures import (
    Figure,
    draw_figures,
    headline_rows,
    scenario_infos,
    write_figures,
)

if TYPE_CHECKING:
    from model.files.scenario import Scenario


# ---------------------------------------------------------------------------------------
# the report
# ---------------------------------------------------------------------------------------
MAX_HEADLINE_COLUMNS = 5  # outcome columns per headline table: five fit a 1,100 px page


def headline_groups(table: pd.DataFrame) -> list[list[str]]:
    """The headline outcomes in tables of at most :data:`MAX_HEADLINE_COLUMNS` columns: the
    stock-outs in one, the amounts in another (nine columns side by side were 1,831 px wide
    in an 1,100 px page)."""
    groups: list[list[str]] = []
    for h in headline_rows(table):
        kind = _runs_out(table, h)
        last = groups[-1] if groups else None
        if (
            last is not None
            and len(last) < MAX_HEADLINE_COLUMNS
            and kind == _runs_out(table, last[-1])
        ):
            last.append(h)
        else:
            groups.append([h])
    return groups


def _runs_out(table: pd.DataFrame, outcome: str) -> bool:
    return bool(table.loc[table["outcome"] == outcome, "group"].iloc[0] == "runs out")


def headline_table(
    table: pd.DataFrame, names: Sequence[str], heads: Sequence[str] | None = None
) -> tuple[list[str], list[list[tuple[str, str]]]]:
    """Header and rows (one per scenario) of the ``heads`` outcomes (default every headline
    outcome): per cell the difference (``*``: its interval excludes 0) and the interval."""
    heads = headline_rows(table) if heads is None else list(heads)
    header = ["scenario"]
    for h in heads:
        r = table[table["outcome"] == h].iloc[0]
        header.append(f"{r['label']} ({r['unit']})")
    rows = []
    for name in names:
        part = table[table["scenario"] == name].set_index("outcome")
        if part.empty:
            continue
        cells = [(name, "")]
        for h in heads:
            r = part.loc[h]
            mark = "*" if r["excludes_zero"] else ""
            cells.append((f"{fmt_diff(r)}{mark}", fmt_interval(r)))
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
    out = [f"# {_md(dict(_experiment_lines(results))['experiment'])}", ""]
    out += (
        ["## The experiment", ""]
        + [f"- **{k}**: {_md(v)}" for k, v in _experiment_lines(results)]
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
        out += [f"## Headline: paired differences against `{table.attrs.get('baseline')}`", ""]
        out += [
            f"Each cell: the difference and its {table.attrs.get('confidence', 0.9):.0%} interval; "
            "`*` marks an interval that excludes 0.",
            "",
        ]
        for heads in headline_groups(table):
            header, rows = headline_table(table, names, heads)
            out += ["| " + " | ".join(_md(h) for h in header) + " |", "|" + "---|" * len(header)]
            out += [  # the numbers need only the cell separator escaped ("-400* [-401, -399]")
                f"| {_md(r[0][0])} | " + " | ".join(_cell(f"{d} {i}") for d, i in r[1:]) + " |"
                for r in rows
            ]
            out += [""]
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
    bound = binding_rows(results, names)
    if bound:
        out += ["## What limited Soviet deliveries", "", _md(BINDING_NOTE), ""]
        out += [
            "| " + " | ".join(_md(h) for h in BINDING_HEADER) + " |",
            "|" + "---|" * len(BINDING_HEADER),
        ]
        out += ["| " + " | ".join(_md(c) for c in r) + " |" for r in bound] + [""]
    out += _md_figures_and_provenance(results, figures, infos, names)
    return "\n".join(out)


def _md_figures_and_provenance(
    results: BatchResults, figures: Sequence[Figure], infos: Any, names: Sequence[str]
) -> list[str]:
    out: list[str] = []
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
    out += ["## Provenance", ""] + [f"- **{k}**: {_md(v)}" for k, v in _provenance_lines(results)]
    out += [""]
    out += ["| scenario | file | SHA-256 (at run time) | file now |", "|---|---|---|---|"]
    for n in names:
        for path, sha, status in infos[n].files:
            out.append(f"| `{n}` | `{path}` | `{sha[:16]}…` | {status} |")
    out.append("")
    return out


# characters Markdown may read as markup anywhere in a line (emphasis, code, links, table
# cells, a heading's closing #s) get a backslash; those that start HTML, entities or GFM
# strikethrough become entities (Python-Markdown, unlike CommonMark, does not unescape them)
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|])")
_MD_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "~": "&#126;"})


def _md(text: Any) -> str:
    """User text (titles, questions, names, paths) and prose as literal Markdown, on one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).splitlines()).translate(_MD_ENTITIES))


def _cell(text: Any) -> str:
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
td .ci { font-weight: normal; color: #555; }
table.headline th { font-size: 0.92em; }
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
        parts += _html_headline(table, names, infos)
    bound = binding_rows(results, names)
    if bound:
        parts.append(f"<h2>What limited Soviet deliveries</h2><p>{e(BINDING_NOTE)}</p><table><tr>")
        parts.append("".join(f"<th>{e(h)}</th>" for h in BINDING_HEADER) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in bound]
        parts.append("</table>")
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
    parts += _html_provenance(results, names, infos)
    parts.append("</table></body></html>")
    return "\n".join(parts)


def _html_headline(table: pd.DataFrame, names: Sequence[str], infos: Any) -> list[str]:
    """The headline table of paired differences, the method and the findings, as HTML."""
    e = html.escape
    parts: list[str] = []
    level = f"{table.attrs.get('confidence', 0.9):.0%}"
    parts.append(
        f"<h2>Headline: paired differences against <code>{e(str(table.attrs.get('baseline')))}</code></h2>"
    )
    parts.append(
        f"<p>Each cell: the difference and, under it, its {level} interval; bold and <code>*</code>: "
        "the interval excludes 0.</p>"
    )
    for heads in headline_groups(table):
        header, rows = headline_table(table, names, heads)
        parts.append(
            "<table class='headline'><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>"
        )
        for r in rows:
            cells = [f"<td><code>{e(r[0][0])}</code></td>"]
            cells += [
                f"<td class='num{' sig' if '*' in d else ''}'>{e(d)}<br><span class='ci'>{e(i)}</span></td>"
                for d, i in r[1:]
            ]
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append("</table>")
    parts.append(
        "<ul class='method'>" + "".join(f"<li>{e(x)}</li>" for x in method_lines(table)) + "</ul>"
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
    return parts


def _html_provenance(results: BatchResults, names: Sequence[str], infos: Any) -> list[str]:
    """The provenance table and every scenario file with its hash, as HTML."""
    e = html.escape
    parts: list[str] = []
    parts.append("<h2>Provenance</h2>" + _kv_table(_provenance_lines(results)))
    parts.append(
        "<table><tr><th>scenario</th><th>file</th><th>SHA-256 at run time</th><th>file now</th></tr>"
    )
    for n in names:
        for path, sha, status in infos[n].files:
            parts.append(
                f"<tr><td><code>{e(n)}</code></td><td><code>{e(path)}</code></td><td><code>{e(sha)}</code></td><td>{e(status)}</td></tr>"
            )
    return parts


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
    redraw: bool = True,
) -> dict[str, Any]:
    """Figures, paired_differences.csv, report.md and report.html in ``folder``; their paths.

    ``redraw=False`` keeps the figures already in ``figures/`` and draws only missing ones;
    ``paths["figures_drawn"]`` / ``["figures_kept"]`` count them (as Paths of the folder)."""
    results = load_results(folder)
    names = results.scenarios
    table = None
    with LazyPool() as pool:  # the bootstrap and the figures, a task each, on every core
        if len(names) > 1:
            table = compare_in_pool(
                results, baseline if baseline in names else names[0], seed, pool
            )
        figures = draw_figures(
            results, baseline, scenarios, table, seed, redraw=redraw, executor=pool
        )
    infos = scenario_infos(results, scenarios)
    paths: dict[str, Any] = {
        "figures_drawn": [f.path for f in figures if f.drawn],
        "figures_kept": [f.path for f in figures if not f.drawn],
    }
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


__all__ = ["write_figures", "write_report", "draw_figures", "KEY_DATE"]
