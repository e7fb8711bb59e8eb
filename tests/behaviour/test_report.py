"""`pactsim report` on a small synthetic batch folder: every figure, embedded, with its caption."""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from model.cli import main as cli_main
from model.engine.cf import joined
from model.presentation.report_figures import write_figures
from model.world.calendar import Window

MONTHS = Window.from_texts("1940-01", "1941-12").labels
GOODS = [
    "oil",
    "rubber",
    "grain",
    "manganese",
    "chrome",
    "nickel",
    "tungsten",
    "copper",
    "machine_tools",
]
UNITS = ["t"] * 8 + ["RM"]
SCENARIOS = {
    # name: (title, question, extra monthly draw-down of stocks, Soviet imports factor)
    "baseline": ("Historical baseline", "What happened?", 0.0, 1.0),
    "tight_blockade": ("A tighter blockade", "What if the blockade had bitten harder?", 8.0, 1.0),
    "no_pact": ("No pact", "What if there had been no agreements?", 20.0, 0.0),
}
N_RUNS = 30


def synthetic_batch(path: Path, scenarios: dict = SCENARIOS) -> Path:
    """A batch result folder (outcomes.parquet, trajectories.nc, manifest.json, scenarios/)."""
    rng = np.random.default_rng(np.random.SeedSequence(42))
    T, G, R = len(MONTHS), len(GOODS), N_RUNS
    rate = rng.uniform(30, 60, (R, 1, G))  # common random numbers: shared by every scenario
    start = rng.uniform(800, 1200, (R, 1, G))
    t = np.arange(T)[None, :, None]
    demand = np.full((R, T, G), 100.0)
    tables, stocks, shorts, balances, susps = [], [], [], [], []
    for name, (_title, _q, extra, soviet) in scenarios.items():
        stock = np.maximum(start - (rate + extra) * t, 0.0)
        short = np.where(stock <= 0, 0.3 * demand, 0.0)
        balance = np.cumsum(rng.normal(5e6, 1e6, (R, T)), axis=1) * soviet
        susp = (balance > 60e6).astype(float) * (t[..., 0] % 5 == 0)
        out = stock < 0.01 * demand
        first = [
            [MONTHS[int(np.argmax(out[r, :, g]))] if out[r, :, g].any() else None for g in range(G)]
            for r in range(R)
        ]
        k = MONTHS.index("1941-06")
        cols = {"scenario": name, "replication": np.arange(R), "param:x": start[:, 0, 0]}
        for g, good in enumerate(GOODS[:8]):
            cols[f"stockout_{good}"] = [first[r][g] for r in range(R)]
            cols[f"shortage_{good}"] = short[:, :, g].sum(axis=1)
            cols[f"cover_{good}_1941-06"] = stock[:, k, g] / demand[:, k, g]
        cols["war_readiness_1941-06"] = 1.0 - short[:, k, :8].sum(axis=1) / demand[:, k, :8].sum(
            axis=1
        )
        cols["imports_rm_soviet_union"] = 4e8 * soviet + rng.normal(0, 1e6, R)
        cols["imports_rm_romania"] = 6e8 + rng.normal(0, 1e6, R)
        cols["imports_rm_sweden"] = 5e8 + rng.normal(0, 1e6, R)
        cols["arrears_rm_max"] = balance.max(axis=1) / 4
        cols["clearing_balance_rm"] = balance[:, -1]
        cols["suspension_months"] = susp.sum(axis=1)
        tables.append(pd.DataFrame(cols))
        stocks.append(stock)
        shorts.append(short)
        balances.append(balance)
        susps.append(susp)
    names = list(scenarios)
    f32 = np.float32
    ds = xr.Dataset(
        {
            "unit": ("good", UNITS),
            "stock": (("scenario", "run", "month", "good"), np.stack(stocks).astype(f32)),
            "shortage": (("scenario", "run", "month", "good"), np.stack(shorts).astype(f32)),
            "demand": (
                ("scenario", "run", "month", "good"),
                np.stack([demand] * len(names)).astype(f32),
            ),
            "clearing_balance_rm": (("scenario", "run", "month"), np.stack(balances).astype(f32)),
            "suspended": (("scenario", "run", "month"), np.stack(susps).astype(f32)),
        },
        coords={"scenario": names, "run": np.arange(R), "month": MONTHS, "good": GOODS},
    )
    path.mkdir(parents=True)
    pd.concat(tables, ignore_index=True).to_parquet(path / "outcomes.parquet", index=False)
    ds.to_netcdf(path / "trajectories.nc", engine="h5netcdf")
    (path / "scenarios").mkdir()
    provenance = []
    for name, (title, question, *_rest) in scenarios.items():
        invasion = "1941-06" if name != "tight_blockade" else "1941-05"
        text = f'name = "{name}"\ntitle = "{title}"\nquestion = "{question}"\n[events]\ninvasion = "{invasion}"\n'
        text += "".join(f"[goods.{g}]\ncritical = true\n" for g in GOODS[:7])  # the catalogue
        (path / "scenarios" / f"{name}.toml").write_text(text)
        provenance.append(
            {
                "name": name,
                "resolved_sha256": "0" * 64,
                "files": [{"path": f"/nowhere/{name}.toml", "sha256": "ab" * 32}],
            }
        )
    manifest = {
        "kind": "batch",
        "status": "complete",
        "command": ["pactsim", "batch", "experiments/synthetic.toml"],
        "experiment": {
            "name": "synthetic",
            "description": "A synthetic batch for the report test.",
            "sampler": "mc",
        },
        "code": {"commit": "feedc0de" * 5, "dirty": False},
        "packages": {"numpy": np.__version__},
        "seed": 42,
        "scenarios": provenance,
        "window": {"start": MONTHS[0], "end": MONTHS[-1]},
        "started": "2026-01-01T00:00:00+00:00",
        "finished": "2026-01-01T00:01:00+00:00",
    }
    (path / "manifest.json").write_text(json.dumps(manifest))
    return path


EXPECTED = {
    "stocks_tight_blockade",
    "stocks_no_pact",
    "shortages",
    "stockout_months",
    "deliveries_by_supplier",
    "clearing_balance",
    "paired_differences",
}


@pytest.fixture(scope="module")
def reported(tmp_path_factory) -> tuple[Path, int]:
    """The synthetic batch after `pactsim report` (drawn once for the tests below)."""
    folder = synthetic_batch(tmp_path_factory.mktemp("report") / "batch")
    return folder, cli_main(["report", str(folder)])


def test_report_embeds_every_figure_with_its_caption(reported):
    folder, code = reported
    assert code == 0
    pngs = sorted((folder / "figures").glob("*.png"))
    assert {p.stem for p in pngs} == EXPECTED
    page = (folder / "report.html").read_text(encoding="utf-8")
    embedded = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)
    assert len(embedded) == len(pngs)
    for png in pngs:
        assert base64.b64encode(png.read_bytes()).decode() in embedded, png.name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(re.findall(r"<figcaption>[^<]{80,}</figcaption>", page)) == len(pngs)
    assert "src='figures/" not in page and 'src="http' not in page  # self-contained
    for title, question, *_ in SCENARIOS.values():
        assert title in page and question in page
    assert "feedc0de" in page and "A synthetic batch for the report test." in page
    md = (folder / "report.md").read_text(encoding="utf-8")
    for png in pngs:
        assert f"](figures/{png.name})" in md
    assert "| `no_pact` | No pact | What if there had been no agreements? |" in md


def test_headline_table_shows_the_known_effects(reported):
    folder, code = reported
    assert code == 0
    table = pd.read_csv(folder / "paired_differences.csv")
    row = table[
        (table["scenario"] == "no_pact") & (table["outcome"] == "imports_rm_soviet_union")
    ].iloc[0]
    assert row["difference"] == pytest.approx(-400.0, abs=1.0) and row["excludes_zero"]
    oil = table[
        (table["scenario"] == "tight_blockade") & (table["outcome"] == "stockout_oil")
    ].iloc[0]
    assert oil["difference"] < 0 and oil["excludes_zero"]
    md = (folder / "report.md").read_text(encoding="utf-8")
    headline = md.split("## Headline")[1].split("## Figures")[0]
    assert "| no\\_pact |" in headline and "-400*" in headline


def test_write_figures_for_the_batch_and_for_a_single_run(tmp_path):
    folder = synthetic_batch(tmp_path / "one", {"baseline": SCENARIOS["baseline"]})
    # a `pactsim run` folder has no scenario dimension in its trajectories
    ds = joined(xr.open_dataset(folder / "trajectories.nc", engine="h5netcdf")).load()
    (folder / "trajectories.nc").unlink()
    ds.isel(scenario=0, drop=True).to_netcdf(folder / "trajectories.nc", engine="h5netcdf")
    paths = write_figures(folder)
    assert {p.stem for p in paths} == {
        "stocks_baseline",
        "shortages",
        "stockout_months",
        "deliveries_by_supplier",
        "clearing_balance",
    }
    assert all(p.exists() and p.parent == folder / "figures" for p in paths)


def test_figures_from_outcomes_alone_and_a_chosen_subset(tmp_path):
    folder = synthetic_batch(tmp_path / "no_trajectories")
    (folder / "trajectories.nc").unlink()  # an experiment may keep no trajectories
    assert {p.stem for p in write_figures(folder, figures=["paired_differences", "stocks"])} == {
        "paired_differences"
    }
    assert cli_main(["report", str(folder)]) == 0
    drawn = {p.stem for p in (folder / "figures").glob("*.png")}
    assert drawn == {"paired_differences", "stockout_months", "deliveries_by_supplier"}


def test_report_md_escapes_names_and_titles(tmp_path):
    markdown = pytest.importorskip("markdown")
    title = "A *tight* blockade_x | [see](http://x) <b>bold</b> & #1"
    scenarios = {
        "baseline": SCENARIOS["baseline"],
        "tight_blockade": (title, "What if _this_ | *that*?", 8.0, 1.0),
    }
    folder = synthetic_batch(tmp_path / "escape", scenarios)
    assert cli_main(["report", str(folder)]) == 0
    md = (folder / "report.md").read_text(encoding="utf-8")
    assert "blockade\\_x \\| \\[see\\](http://x) &lt;b&gt;bold&lt;/b&gt; &amp; \\#1" in md
    assert "| tight\\_blockade |" in md  # the name in the headline table
    page = markdown.markdown(md, extensions=["tables"])
    assert "<em>" not in page and "<strong>bold" not in page and "<b>" not in page
    assert 'href="http://x"' not in page
    scenario_rows = page.split("<h2>Scenarios and their questions</h2>")[1].split("<h2>")[0]
    assert scenario_rows.count("<tr>") == 3  # header, baseline, tight_blockade: no cell split
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert title in text and "What if _this_ | *that*?" in text


def test_figures_of_scenarios_on_different_windows(tmp_path, capsys):
    """A batch whose scenarios have different windows pads months outside a scenario's
    window with NaN (here the baseline's first and last six months): the figures are drawn
    (before: `Axis limits cannot be NaN or Inf`), one progress line each."""
    folder = synthetic_batch(tmp_path / "windows")
    ds = joined(xr.open_dataset(folder / "trajectories.nc", engine="h5netcdf")).load()
    outside = np.r_[0:6, len(MONTHS) - 6 : len(MONTHS)]
    for var in ("stock", "shortage", "demand", "clearing_balance_rm", "suspended"):
        values = ds[var].values
        values[0, :, outside] = np.nan  # scenario 0: the baseline
        ds[var].values = values
    (folder / "trajectories.nc").unlink()
    ds.to_netcdf(folder / "trajectories.nc", engine="h5netcdf")
    assert cli_main(["report", str(folder), "--redraw"]) == 0
    assert {p.stem for p in (folder / "figures").glob("*.png")} == EXPECTED
    printed = capsys.readouterr().out
    assert f"figures: drawing {len(EXPECTED)} into {folder / 'figures'}" in printed
    lines = re.findall(r"^figure (\d+)/(\d+): (\w+)\.png \(\d+\.\d s\)$", printed, re.M)
    assert [int(n) for n, _, _ in lines] == list(range(1, len(EXPECTED) + 1))
    assert {stem for _, _, stem in lines} == EXPECTED
    assert "All-NaN slice" not in capsys.readouterr().err


def test_paired_differences_in_a_pool_are_the_table_of_compare(tmp_path):
    """The bootstrap split one counterfactual per task gives compare's table, row for row."""
    from model.analysis.compare import compare, load_results
    from model.presentation.figure_pool import LazyPool, compare_in_pool

    results = load_results(synthetic_batch(tmp_path / "pool"))
    with LazyPool(2) as pool:
        pooled = compare_in_pool(results, "baseline", 3, pool)
    whole = compare(results, "baseline", 3)
    pd.testing.assert_frame_equal(pooled, whole)
    assert pooled.attrs == whole.attrs and len(set(pooled["scenario"])) == 2


def test_summaries_are_the_quantiles_the_figures_drew(tmp_path):
    """Per-scenario quantiles computed once equal nanpercentile over runs, a month with
    some NaN runs and a month outside the window (all NaN) included."""
    from model.presentation.summaries import STOCK_QUANTILES, quantiles, summarise

    rng = np.random.default_rng(5)
    values = rng.normal(size=(40, 6, 3))
    values[:, 0] = np.nan  # outside the window
    values[:7, 2, 1] = np.nan  # some runs NaN
    fast = quantiles(values, STOCK_QUANTILES)
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        slow = np.nanpercentile(values, STOCK_QUANTILES, axis=0)
    np.testing.assert_array_equal(fast, slow)
    folder = synthetic_batch(tmp_path / "summary")
    ds = joined(xr.open_dataset(folder / "trajectories.nc", engine="h5netcdf")).load()
    summary = summarise(folder / "trajectories.nc", "no_pact")
    stock = ds["stock"].sel(scenario="no_pact").values.astype(float)
    np.testing.assert_array_equal(summary.stock, np.percentile(stock, STOCK_QUANTILES, axis=0))
    susp = ds["suspended"].sel(scenario="no_pact").values
    np.testing.assert_array_equal(summary.suspended_pct, 100 * (susp > 0).mean(axis=0))


def test_war_readiness_baseline_level_reads_percent_not_points(tmp_path):
    """The paired-differences panel of war readiness: differences in % pts, the baseline's
    level under the title in % (it read "100 % pts")."""
    from model.analysis.compare import compare, load_results
    from model.presentation import plots
    from model.presentation.report_figures import _differences

    results = load_results(synthetic_batch(tmp_path / "levels"))
    table = compare(results, "baseline", 0)
    names = results.scenarios
    fig = _differences(table, names, plots.scenario_styles(names))
    titles = [ax.get_title() for ax in fig.axes if "war readiness" in ax.get_title()]
    assert titles and all("baseline: " in t and "% pts" not in t for t in titles)
    assert all(t.rstrip().endswith("%") for t in titles)
    assert any("% pts" in ax.get_xlabel() for ax in fig.axes if "war readiness" in ax.get_title())


def test_report_refuses_a_baseline_the_folder_lacks_even_with_one_scenario(tmp_path, capsys):
    """Issue 24: `pactsim report RUN --baseline nope` on a folder of one scenario wrote the
    report (exit 0) as if the name were right; now one line, exit 2, naming the scenarios."""
    folder = synthetic_batch(tmp_path / "one", {"baseline": SCENARIOS["baseline"]})
    assert cli_main(["report", str(folder), "--baseline", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "no scenario 'nope' to compare against; scenarios are: baseline" in err
    assert not (folder / "report.md").exists()  # refused before anything was written


def test_figures_are_drawn_on_a_pool_of_processes_and_equal_the_serial_ones(tmp_path):
    """Issue 24, item 4 ("figures are drawn on one core"): the report's figures are tasks on
    a process pool; drawn on 2 worker processes they are the same files, byte for byte, as
    drawn in this process."""
    from model.analysis.compare import load_results
    from model.batch.executors import PoolExecutor
    from model.presentation.figure_pool import LazyPool
    from model.presentation.report_figures import draw_figures

    drawn = {}
    for workers in (1, 2):
        folder = synthetic_batch(tmp_path / f"w{workers}")
        with LazyPool(workers) as pool:
            figures = draw_figures(load_results(folder), say=None, executor=pool)
            assert isinstance(pool.inner, PoolExecutor) == (workers == 2)
        drawn[workers] = {f.path.name: f.path.read_bytes() for f in figures}
    assert len(drawn[2]) >= 5 and drawn[1] == drawn[2]
