"""Paired statistics of `pactsim compare` on synthetic outcomes with known answers."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from model.analysis.compare import (
    bootstrap_paired,
    compare,
    load_results,
    scenario_rng,
    stockout_position,
)
from model.cli import main as cli_main
from model.world.calendar import Window

MONTHS = Window.from_texts("1939-06", "1942-12").labels  # 43 months; censored = 43 (1943-01)


def synthetic_outcomes(n: int = 300, shift: float = 5.0, seed: int = 1) -> pd.DataFrame:
    """Baseline and two scenarios; replication i shares its 'parameters' across scenarios.

    - ``shifted``: shortage_oil = baseline + ``shift`` kt (+ small noise), oil runs out
      exactly 3 months earlier where the baseline runs out, and in 1942-10 where it does not;
    - ``same``: identical to the baseline up to small noise (no effect).
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    common = rng.normal(100.0, 30.0, n)  # the big spread shared by a replication's scenarios
    month = rng.integers(10, 40, n)  # 1940-04 .. 1942-09
    never = rng.random(n) < 0.25
    base_out = [None if nv else MONTHS[m] for m, nv in zip(month, never, strict=True)]
    shift_out = [MONTHS[40] if nv else MONTHS[m - 3] for m, nv in zip(month, never, strict=True)]
    rows = []
    for name, short_kt, out in (
        ("baseline", common, base_out),
        ("shifted", common + shift + rng.normal(0, 1.0, n), shift_out),
        ("same", common + rng.normal(0, 1.0, n), base_out),
    ):
        rows.append(
            pd.DataFrame(
                {
                    "scenario": name,
                    "replication": np.arange(n),
                    "param:x": common,
                    "shortage_oil": short_kt * 1e3,  # tonnes in the table, kt in the comparison
                    "stockout_oil": out,
                    "war_readiness_1941-06": np.clip(0.9 + 0.0 * common, 0, 1),
                    "imports_rm_soviet_union": common * 1e6,
                    "arrears_rm_max": common * 1e5,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def freeze_catalogue(path, names=("baseline",)):
    """What a result folder keeps of its scenarios' catalogue: oil is a critical good."""
    (path / "scenarios").mkdir()
    for name in names:
        (path / "scenarios" / f"{name}.toml").write_text("[goods.oil]\ncritical = true\n")


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "batch"
    path.mkdir()
    freeze_catalogue(path)
    synthetic_outcomes().to_parquet(path / "outcomes.parquet", index=False)
    manifest = {"status": "complete", "seed": 3, "window": {"start": MONTHS[0], "end": MONTHS[-1]}}
    (path / "manifest.json").write_text(json.dumps(manifest))
    return path


def row(table: pd.DataFrame, scenario: str, outcome: str) -> pd.Series:
    return table[(table["scenario"] == scenario) & (table["outcome"] == outcome)].iloc[0]


def test_known_shift_is_covered_and_excludes_zero(folder):
    table = compare(load_results(folder))
    r = row(table, "shifted", "shortage_oil")
    assert r["unit"] == "kt"
    assert r["ci_low"] <= 5.0 <= r["ci_high"]
    assert r["ci_low"] > 0 and r["excludes_zero"]
    # pairing: the interval is about the noise (sd 1), not the spread across runs (sd 30)
    assert r["ci_high"] - r["ci_low"] < 0.5
    same = row(table, "same", "shortage_oil")
    assert same["ci_low"] <= 0.0 <= same["ci_high"] and not same["excludes_zero"]


def test_censored_stockouts(folder):
    table = compare(load_results(folder))
    r = row(table, "shifted", "stockout_oil")
    assert r["statistic"].startswith("median")
    assert r["share_out_baseline"] == pytest.approx(0.75, abs=0.06)
    assert r["share_out_scenario"] == 1.0
    # runs out 3 months earlier; where the baseline never runs out (counted as 1943-01) the
    # scenario runs out in 1942-10: every pair differs by -3 months
    assert r["difference"] == -3 and r["ci_low"] == -3 and r["ci_high"] == -3
    assert table.attrs["censor_month"] == "1943-01"
    share = row(table, "shifted", "stockout_oil:share")
    assert share["unit"] == "% of runs"
    assert share["difference"] == pytest.approx(100 * (1 - r["share_out_baseline"]))
    assert share["ci_low"] > 0
    same = row(table, "same", "stockout_oil")
    assert same["difference"] == 0 and same["baseline_month"] == same["scenario_month"]


def test_censoring_counts_never_as_the_month_after_the_window():
    pos = stockout_position(["1939-06", None, "1942-12", np.nan], MONTHS)
    assert list(pos) == [0, 43, 42, 43]
    with pytest.raises(ValueError, match="outside the window"):
        stockout_position(["1950-01"], MONTHS)


def test_mostly_censored_median_is_flagged_as_a_bound(tmp_path):
    n = 40
    base = pd.DataFrame(
        {"scenario": "baseline", "replication": range(n), "stockout_oil": [None] * n}
    )
    scen = pd.DataFrame(
        {"scenario": "early", "replication": range(n), "stockout_oil": ["1941-01"] * n}
    )
    path = tmp_path / "r"
    path.mkdir()
    freeze_catalogue(path)
    pd.concat([base, scen]).to_parquet(path / "outcomes.parquet", index=False)
    (path / "manifest.json").write_text(
        json.dumps({"window": {"start": "1939-06", "end": "1942-12"}})
    )
    r = row(compare(load_results(path)), "early", "stockout_oil")
    assert r["difference"] == MONTHS.index("1941-01") - 43
    assert r["note"] == "runs out in 0% -> 100% of runs; upper bound: baseline censored"
    assert r["baseline_month"] == "after 1942-12"


def test_bootstrap_coverage_is_near_nominal():
    """Across many synthetic data sets the 90 % interval covers the true mean ~90 % of the time."""
    rng = np.random.default_rng(np.random.SeedSequence(11))
    hits = 0
    trials = 200
    for _ in range(trials):
        diff = rng.normal(2.0, 3.0, (80, 1))
        _, lo, hi = bootstrap_paired(diff, ["mean"], rng, n_resamples=400)
        hits += lo[0] <= 2.0 <= hi[0]
    assert 0.82 <= hits / trials <= 0.96


def test_bootstrap_is_seeded_vectorised_and_ignores_nan():
    diff = np.column_stack([np.arange(50.0), np.r_[np.arange(49.0), np.nan], np.arange(50.0) % 7])
    a = bootstrap_paired(diff, ["mean", "mean", "median"], scenario_rng(0, "x"))
    b = bootstrap_paired(diff, ["mean", "mean", "median"], scenario_rng(0, "x"))
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    est, lo, hi = a
    assert est[0] == pytest.approx(24.5) and est[1] == pytest.approx(24.0)
    assert np.isfinite(lo).all() and np.isfinite(hi).all()
    assert float(lo[2]).is_integer() and float(hi[2]).is_integer()  # medians of whole months


def test_cli_json_csv_and_errors(folder, tmp_path, capsys):
    csv = tmp_path / "out" / "rows.csv"
    assert cli_main(["compare", str(folder), "--json", "--csv", str(csv)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["baseline"] == "baseline" and payload["confidence"] == 0.9
    assert {r["scenario"] for r in payload["rows"]} == {"shifted", "same"}
    assert pd.read_csv(csv).shape[0] == len(payload["rows"])
    assert cli_main(["compare", str(folder), "--full"]) == 0
    text = capsys.readouterr().out
    assert "shifted vs baseline" in text and "oil shortage, kt" in text and "1943-01" in text
    # a difference that is a median of the paired differences says so where it is printed
    oil = next(line for line in text.splitlines() if "oil runs out: shift" in line)
    assert "(median)" in oil and "median of the paired differences" in " ".join(text.split())
    assert max(map(len, text.splitlines())) <= 120  # piped: 120 columns (was 160)
    assert cli_main(["compare", str(folder), "--wide"]) == 0  # README's table: a line per scenario
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert lines[0].startswith("| scenario | oil runs out: shift, months")
    assert "level" in lines[1] and len(lines) == 2 + 2  # header, baseline levels, 2 scenarios
    assert cli_main(["compare", str(folder)]) == 0  # the default: narrow tables
    out = capsys.readouterr().out
    assert max(map(len, out.splitlines())) <= 120, "rows and footnote fit 120 characters"
    tables = [t.splitlines() for t in out.split("\n\n") if t.startswith("| scenario |")]
    assert len(tables) > 1 and all(len(t) == 2 + 1 + 2 for t in tables)  # header, |---|, 3 rows
    headers = [h.strip() for t in tables for h in t[0].strip("|").split(" | ")[1:]]
    wide = [h.strip() for h in lines[0].strip("|").split(" | ")[1:]]
    assert headers == wide  # every column of the wide table, once, in order
    shifted = next(line for t in tables for line in t if line.startswith("| shifted"))
    cell = shifted.split(" | ")[1]  # oil: a shift in months, then the share of runs that run out
    assert re.fullmatch(r"[+-]?[\d.,]+\*? \[[^\]]+\] \(\d+%, [+-]?[\d.,]+\*? pts\)", cell), cell
    assert "shifted: " in out  # the titles, once, below the tables
    assert cli_main(["compare", str(folder), "--baseline", "nope"]) == 2
    assert "no scenario 'nope'" in capsys.readouterr().err
    assert cli_main(["compare", str(tmp_path / "missing")]) == 2
    assert "no such result folder" in capsys.readouterr().err


def test_the_critical_goods_come_from_the_catalogue():
    """compare, report, plots and the run summary read the catalogue's `critical = true`."""
    from model.files.scenario import load
    from model.world.goods import GoodsCatalogue, critical_goods

    data = load("scenarios/baseline.toml").data
    critical = critical_goods(data["goods"])
    assert set(critical) == {"oil", "rubber", "grain", "manganese", "chrome", "nickel", "tungsten"}
    assert critical == GoodsCatalogue.from_table(data["goods"]).critical_ids
    tin = {**data["goods"], "tin": {"unit": "t", "price_rm_per_unit": 1.0, "critical": True}}
    assert critical_goods(tin)[-1] == "tin"  # a scenario can add a critical good


def test_a_folder_without_its_catalogue_has_no_critical_goods(tmp_path):
    """The critical goods come from the folder itself, never from the checkout's baseline."""
    from model.analysis.compare import folder_critical_goods

    assert folder_critical_goods(tmp_path, {"scenarios": []}, ["baseline"]) == ()
    freeze_catalogue(tmp_path)
    assert folder_critical_goods(tmp_path, {}, ["baseline"]) == ("oil",)


def test_resampled_medians_from_counts_are_numpys_medians():
    """The bootstrap's medians read off value counts equal np.median of the resampled values
    (odd and even counts of pairs; whole-month differences and a column of other values)."""
    from model.analysis.compare import ResampledMedians

    rng = np.random.default_rng(7)
    for n in (1, 2, 9, 10, 400):
        columns = np.column_stack(
            [rng.integers(-44, 45, n).astype(float), rng.choice([0.5, 2.25, -3.0], n)]
        )
        idx = rng.integers(0, n, size=(60, n))
        counts = np.stack([np.bincount(row, minlength=n) for row in idx]).astype(float)
        medians = ResampledMedians.of(columns)
        assert medians is not None
        np.testing.assert_array_equal(medians.medians(counts), np.median(columns[idx], axis=1))
    assert ResampledMedians.of(np.array([[1.0], [np.nan]])) is None  # NaN: the sorting path
