"""`pactsim bench --json` measures single runs, a chunk-size sweep and real batches."""

from __future__ import annotations

import json

from model import PROJECT_ROOT
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
        "--main-job-file",
        str(PROJECT_ROOT / "experiments" / "smoke.toml"),
        "--main-job-replications",
        "4",
        "--dashboard",
        "1",
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
    assert r["speedup_reference"] == "120"
    # the best chunk is the fastest of the sweep, and the headline figures are its figures
    sweep = r["chunk_sweep"]
    assert set(sweep) == {"20", "40"} and all(v > 0 for v in sweep.values())
    assert sweep[str(r["best_chunk"])] == min(sweep.values())
    assert (
        abs(r["us_per_run_month"] - sweep[str(r["best_chunk"])]) <= 5e-4 + 1e-9
    )  # the sweep is rounded to 3 decimals; 1e-9 absorbs float error at the bound
    # each batch: rate = runs / seconds, and its chunk fits the runs
    for n in (60, 120):
        assert abs(r[f"runs_per_second_{n}"] * r[f"seconds_{n}"] - n) < 1e-3 * n  # JSON rounds
        assert 1 <= r[f"chunk_{n}"] <= n
        assert r[f"result_mb_{n}"] > 0
    assert r["runs_single"] == 3 and r["workers"] == 2
    # each batch's wall time by phase, from the timings its manifest recorded: they add up
    for n in (60, 120):
        b = r[f"batch_phases_{n}"]
        phases = b["seconds"]
        assert set(phases) == {
            "plan", "workers_start", "chunks", "writing_parts", "part_checksums",
            "consolidation", "final_checksums", "other",
        }  # fmt: skip
        assert all(v >= 0 for v in phases.values()), phases
        assert phases["chunks"] > 0 and phases["consolidation"] > 0
        assert abs(sum(phases.values()) - r[f"seconds_{n}"]) < 1e-3 * r[f"seconds_{n}"] + 1e-3
        threads = b["consolidation_threads"]  # outcomes and trajectories.nc, side by side
        assert set(threads) == {
            "consolidate_outcomes",
            "consolidate_trajectories",
            "output_checksums",
        }
        assert 0 < max(threads["consolidate_outcomes"], threads["consolidate_trajectories"])
        for side in ("consolidate_outcomes", "consolidate_trajectories"):
            assert threads[side] <= phases["consolidation"] + 2e-3
        overhead = threads["output_checksums"] + sum(
            phases[k] for k in ("workers_start", "part_checksums", "final_checksums")
        )
        assert abs(b["overhead_share"] - overhead / r[f"seconds_{n}"]) < 2e-3
        assert b["worker_cpu_seconds"]["model"] > 0
    # the targets report what the numbers say
    assert r["targets"]["speedup"] == {"target": ">= 10", "met": r["speedup"] >= 10}
    assert r["targets"]["us_per_run_month"] == {
        "target": "<= 5",
        "met": r["us_per_run_month"] <= 5,
    }
    # the main job (here the smoke experiment, 3 scenarios x 4 runs) with its figures, by phase
    assert r["main_job_runs"] == 12 and r["main_job_figures"] == 7
    phases = r["main_job_phases"]
    assert set(phases) == {"runs", "consolidation", "figures", "other"}
    assert all(v >= 0 for v in phases.values()) and phases["figures"] > 0
    assert abs(sum(phases.values()) - r["main_job_seconds"]) < 1e-3 * r["main_job_seconds"] + 4e-4
    # one run's median, the dashboard's Reset and run, the machine's load
    assert 0 < r["single_run_ms"] and 0 < r["dashboard_reset_run_s"]
    assert r["single_run_ms"] <= 1e3 * r["seconds_per_run_single"] * r["runs_single"]
    assert set(r["load_average"]) == {"start", "end"} and r["load_average"]["start"] >= 0
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
        "main_job_seconds",
        "single_run_ms",
        "dashboard_reset_run_s",
    }  # the 10k/100k targets need those sizes


def test_bench_profile_prints_where_a_month_goes_at_each_chunk_size(capsys):
    assert main(["bench", "--profile", "1,30"]) == 0
    out = capsys.readouterr().out
    for size in (1, 30):
        assert f"== R = {size}: " in out
    assert out.count("Ordered by: internal time") == 2
    assert "model/engine/simulation.py" in out or "model/actors/" in out  # the model's own code


def test_bench_profile_with_bad_sizes_is_one_line(capsys):
    assert main(["bench", "--profile", "1,x"]) == 2
    err = capsys.readouterr().err
    assert "--profile" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
