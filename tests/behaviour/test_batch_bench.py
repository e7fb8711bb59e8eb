"""`pactsim bench --json` measures single runs, a chunk-size sweep and real batches."""

from __future__ import annotations

import json

from model.cli import main


def test_bench_json_reports_throughput_memory_and_ratios(capsys):
    args = [
        "bench",
        "--json",
        "--sizes",
        "60,120",
        "--single",
        "3",
        "--sweep",
        "20,40",
        "--sweep-runs",
        "40",
        "--workers",
        "2",
    ]
    assert main(args) == 0
    r = json.loads(capsys.readouterr().out)
    for key in (
        "seconds_60",
        "seconds_120",
        "peak_memory_mb_120",
        "runs_per_second_single",
        "us_per_run_month",
        "speedup",
    ):
        assert r[key] > 0, key
    assert r["speedup_reference"] == "120" and r["best_chunk"] in (20, 40)
    assert (
        abs(r["speedup"] - r["runs_per_second_120"] / r["runs_per_second_single"])
        < 1e-3 * r["speedup"]
    )
    assert r["peak_memory_mb_120"] > 50  # this process and its workers
    assert (
        set(r["chunk_sweep"]) == {"20", "40"}
        and r["us_per_run_month_model"] <= r["us_per_run_month"]
    )
    assert set(r["targets"]) == {
        "us_per_run_month",
        "speedup",
    }  # the 10k/100k targets need those sizes
