"""README's Dask cluster, as its commands are written, listens on 127.0.0.1 only (issue 24,
item 7): `dask worker --no-dashboard` still opened a port on 0.0.0.0. The scheduler and worker
lines are taken from README's code block (only their ports are swapped for free ones, so that
the test does not collide with a cluster already running here), started, and every process
they spawn (the worker's nannies and the workers under them) is checked for its listening
sockets.
"""

from __future__ import annotations

import re
import shlex
import socket
import subprocess
from pathlib import Path

import pytest

from tests.behaviour.test_dask_worker_loss import dask_command, listening, wait_for

ROOT = Path(__file__).resolve().parents[2]


def readme_dask_lines() -> dict[str, list[str]]:
    """README's `dask scheduler`, `dask worker` and `pactsim batch --scheduler` lines, split."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```bash\n(.*?)```", text, re.S) if "dask scheduler" in b)
    lines = {}
    for line in block.splitlines():
        words = shlex.split(line.rstrip("& "))
        if words and words[0].endswith("dask"):
            lines[words[1]] = words[2:]
        elif words and words[0].endswith("pactsim"):
            lines["pactsim"] = words[1:]
    return lines


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_readme_names_loopback_addresses_only():
    lines = readme_dask_lines()
    assert set(lines) == {"scheduler", "worker", "pactsim"}
    scheduler, worker, batch = lines["scheduler"], lines["worker"], lines["pactsim"]
    assert scheduler[scheduler.index("--host") + 1] == "127.0.0.1"
    assert scheduler[scheduler.index("--dashboard-address") + 1].startswith("127.0.0.1:")
    assert worker[0].startswith("tcp://127.0.0.1:") and "--no-dashboard" not in worker
    assert worker[worker.index("--host") + 1] == "127.0.0.1"
    assert worker[worker.index("--dashboard-address") + 1].startswith("127.0.0.1:")
    assert batch[batch.index("--scheduler") + 1] == worker[0]


def test_readme_cluster_listens_on_loopback_only():
    if not Path(dask_command()[0]).exists():
        pytest.skip("the dask command is not installed")
    psutil = pytest.importorskip("psutil")  # installed with dask[distributed]
    lines = readme_dask_lines()
    port, dashboard = free_port(), free_port()

    def ported(words: list[str]) -> list[str]:
        swapped = {"8786": str(port), "8787": str(dashboard)}  # README's ports, alone or host:port
        return [re.sub(r"(?<![0-9])(8786|8787)$", lambda m: swapped[m[1]], w) for w in words]

    procs = [
        subprocess.Popen(
            dask_command(role, *ported(lines[role])),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        for role in ("scheduler", "worker")
    ]
    try:
        from dask.distributed import Client

        address = f"tcp://127.0.0.1:{port}"
        wait_for(lambda: _accepts(port), 60, "the scheduler")
        with Client(address, timeout="60s") as client:
            n_workers = int(lines["worker"][lines["worker"].index("--nworkers") + 1])
            client.wait_for_workers(n_workers, timeout=90)
        tree = [p.pid for p in procs]
        for p in procs:
            tree += [c.pid for c in psutil.Process(p.pid).children(recursive=True)]
        addresses = {pid: listening(pid) for pid in tree}
        assert len(tree) >= 2 + n_workers  # scheduler, worker command, its nannies' workers
        assert sum(bool(a) for a in addresses.values()) >= 1 + n_workers, addresses
        for pid, found in addresses.items():
            assert all(a.startswith("7f000001:") for a in found), (pid, found)
    finally:
        for p in procs:
            try:
                for child in psutil.Process(p.pid).children(recursive=True):
                    child.kill()
            except psutil.Error:
                pass
            p.kill()
            p.wait(timeout=30)


def _accepts(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0
