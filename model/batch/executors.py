"""The executors: serial, a local process pool, a Dask cluster -- one interface for every
layer that runs many independent tasks (batches, sensitivity designs, the bench).

``executor.map(fn, tasks, fail)`` yields ``fn(task)`` for every task as it finishes (in
order for the serial executor, as completed otherwise), with at most two tasks per worker in
flight. A task whose process died or whose result could not be moved becomes ``fail(task,
record)`` (:func:`failure_record`); ``fail`` may raise instead. ``fn`` and the tasks must be
picklable (module-level functions, plain data).

**Nothing left behind.** A pool worker dies with the process that opened the pool: on
Linux the kernel kills it when its parent dies (``PR_SET_PDEATHSIG``), and everywhere a
watchdog thread in the worker exits it within a second once its parent or the main process
is gone (SIGKILL of the main process included). A Dask batch that has had no worker for
``dask_worker_timeout`` seconds fails with a clear error; the chunks done so far are kept
and ``--resume`` finishes the batch. What distributed's client says while a batch runs (a
result it could not gather from a worker that died, the gather it then abandons) is kept in
the executor's log, not printed: the user sees one line, ours.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from model.errors import UserError

Task = TypeVar("Task")
Result = TypeVar("Result")
# the worker modules a fork server preloads (a pool opened while threads run)
PRELOAD = ("model.batch.worker", "model.engine.runner", "model.engine.outcomes")
DASK_WORKER_TIMEOUT_S = 120.0  # a Dask batch with no worker this long fails (resumably)
WATCHDOG_INTERVAL_S = 0.5


def failure_record(err: BaseException) -> dict[str, Any]:
    return {
        "error": type(err).__name__,
        "message": str(err),
        "traceback": "".join(traceback.format_exception(err)),
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }


def _only_thread() -> bool:
    """No other thread alive, counting threads native libraries started (pyarrow, BLAS).

    Python 3.12 warns that fork() with such threads may deadlock the child; it counts the
    OS's threads (``/proc/self/task``), so this does too where it can.
    """
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:  # no /proc (macOS): Python's own count is the best available
        return threading.active_count() == 1


def start_forkserver(preload: Sequence[str] = PRELOAD) -> bool:
    """Start the fork server now, with ``preload`` imported in it: the server's imports (a
    few seconds on a busy machine) then run in its own process while this one plans the
    batch, and every pool opened later -- the batch's, the figures' -- forks its workers from
    it at once. Returns whether a fork server runs (not on Windows or macOS' spawn-only
    Pythons). The server ends with this process."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return False
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(list(preload))
    forkserver.ensure_running()
    return True


def forkserver_running() -> bool:
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    return bool(server is not None and getattr(server, "_forkserver_pid", None))


class SerialExecutor:
    """Chunks one after another in this process (``--workers 1``)."""

    def __init__(self) -> None:
        self.description = "serial, in-process"
        self.seconds_starting = 0.0  # nothing to start

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def map(
        self,
        fn: Callable[[Task], Result],
        tasks: Iterable[Task],
        fail: Callable[[Task, dict[str, Any]], Result],
    ) -> Iterator[Result]:
        for task in tasks:
            yield fn(task)


class PoolExecutor:
    """A local process pool; at most two chunks per worker are in flight (bounded memory).

    Workers are forked (fast: the model is already imported) when the pool opens, before
    any other thread (the progress bar) exists. A worker that dies (e.g. killed by the
    system) fails the chunks it held; the pool is rebuilt and the batch goes on.
    """

    def __init__(self, workers: int, preload: Sequence[str] = PRELOAD):
        self.workers = workers
        self.preload = list(preload)
        self.description = f"process pool, {workers} workers"
        self.pool: ProcessPoolExecutor | None = None
        self.generation = 0
        self.seconds_starting = 0.0  # opening the pool until every worker is up (rebuilds too)

    def _open(self) -> None:
        t0 = time.perf_counter()
        # fork is fast (the model is already imported) but only safe with no other thread
        # alive (a lock held by one would stay locked in the child): else a fork server
        methods = multiprocessing.get_all_start_methods()
        context: multiprocessing.context.BaseContext
        if "fork" in methods and _only_thread() and not forkserver_running():
            context = multiprocessing.get_context("fork")
            gc.freeze()  # the garbage collector of a forked worker then leaves the inherited
            # objects alone, so their pages stay shared instead of being copied
        else:
            context = multiprocessing.get_context(
                "forkserver" if "forkserver" in methods else "spawn"
            )
            if context.get_start_method() == "forkserver":
                context.set_forkserver_preload(self.preload)
        self.pool = ProcessPoolExecutor(
            self.workers,
            mp_context=context,
            initializer=_worker_setup,
            initargs=(os.getpid(),),
        )
        for future in [self.pool.submit(os.getpid) for _ in range(self.workers)]:
            future.result()  # every worker is up before any other thread starts
        self.generation += 1
        self.seconds_starting += time.perf_counter() - t0

    def __enter__(self) -> PoolExecutor:
        self._open()
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=exc_type is None, cancel_futures=True)

    def map(
        self,
        fn: Callable[[Task], Result],
        tasks: Iterable[Task],
        fail: Callable[[Task, dict[str, Any]], Result],
    ) -> Iterator[Result]:
        assert self.pool is not None, "use the executor as a context manager"
        todo = iter(tasks)
        pending: dict[Any, tuple[Task, int]] = {}

        def submit() -> None:
            task = next(todo, None)
            if task is not None:
                assert self.pool is not None
                pending[self.pool.submit(fn, task)] = (task, self.generation)

        for _ in range(2 * self.workers):
            submit()
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                task, generation = pending.pop(future)
                try:
                    out = future.result()
                except BrokenProcessPool as err:
                    if generation == self.generation:
                        self.pool.shutdown(wait=False, cancel_futures=True)
                        self._open()
                    out = fail(
                        task,
                        failure_record(err)
                        | {"message": "a worker process died while running this chunk"},
                    )
                except Exception as err:
                    out = fail(task, failure_record(err))
                yield out
                submit()


def _worker_setup(main_pid: int) -> None:
    """A pool worker: Ctrl-C is the main process's to handle (it stops submitting and keeps
    what is done); the worker dies with its parent and with the main process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    parent = os.getppid()
    watchdog = threading.Thread(
        target=_watch_parent, args=(parent, main_pid), name="pactsim-watchdog", daemon=True
    )
    watchdog.start()


def _die_with_parent() -> None:
    """Linux: ask the kernel to SIGKILL this process when its parent dies."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no libc prctl: the watchdog thread still works
        pass


def _watch_parent(parent: int, main_pid: int) -> None:
    """Exit this worker as soon as its parent (or the batch's main process) is gone."""
    from model.store.folder import process_alive

    while True:
        time.sleep(WATCHDOG_INTERVAL_S)
        if os.getppid() != parent or not process_alive(main_pid):
            os._exit(1)


class _KeepRecords(logging.Filter):
    """Keeps what a logger says (as text, in ``kept``) instead of letting it print."""

    def __init__(self, kept: list[str]):
        super().__init__()
        self.kept = kept

    def filter(self, record: logging.LogRecord) -> bool:
        self.kept.append(f"{record.name} {record.levelname}: {record.getMessage()}")
        return False


def _quiet_abandoned_gathers(loop: Any, kept: list[str]) -> None:
    """On the client's event loop, a gather abandoned when its worker died ends in
    ``AllExit``, which asyncio would report (with a traceback) as "Task exception was never
    retrieved" when the task is collected -- possibly at interpreter exit. That one case is
    kept in ``kept``; every other loop error goes to the loop's own handler as before."""

    def handler(loop: Any, context: dict[str, Any]) -> None:
        err = context.get("exception")
        if err is not None and type(err).__name__ == "AllExit":
            kept.append(f"asyncio: {context.get('message', '')} ({type(err).__name__})")
            return
        loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


class DaskExecutor:
    """A Dask distributed cluster; at most two chunks per worker thread are in flight."""

    QUIET_LOGGERS = ("distributed.client", "distributed.core", "distributed.comm")

    def __init__(self, address: str, worker_timeout: float | None = None):
        self.address = address
        self.worker_timeout = DASK_WORKER_TIMEOUT_S if worker_timeout is None else worker_timeout
        self.description = f"Dask cluster at {address}"
        self.log: list[str] = []  # what distributed's client said while the batch ran
        self.seconds_starting = 0.0
        self._filter = _KeepRecords(self.log)

    def __enter__(self) -> DaskExecutor:
        from dask.distributed import Client

        t0 = time.perf_counter()
        for name in self.QUIET_LOGGERS:
            logging.getLogger(name).addFilter(self._filter)
        try:
            self.client = Client(self.address, timeout="20s")
        except (OSError, TimeoutError, ValueError) as err:
            self._unquiet()
            raise UserError(f"cannot reach the Dask scheduler at {self.address}: {err}") from None
        asyncio_loop = getattr(self.client.loop, "asyncio_loop", None)
        if asyncio_loop is not None:
            _quiet_abandoned_gathers(asyncio_loop, self.log)
        threads = self.client.nthreads()
        self.seen: dict[str, int] = dict(threads)  # every worker met, with its threads
        self.lost: list[str] = []  # workers that left while the batch ran
        self.slots = max(1, sum(threads.values()))
        self._alone_since: float | None = None
        self.description = f"Dask cluster at {self.address}, {self.slots} worker threads"
        self.seconds_starting = time.perf_counter() - t0  # connecting to the scheduler
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.client.close()
        finally:
            self._unquiet()

    def _unquiet(self) -> None:
        for name in self.QUIET_LOGGERS:
            logging.getLogger(name).removeFilter(self._filter)

    def summary(self) -> dict[str, Any]:
        """What the manifest records of the cluster: workers met, lost, threads, and the
        last lines distributed's client logged (kept, not printed)."""
        return {
            "address": self.address,
            "workers_seen": sorted(self.seen),
            "threads_seen": int(sum(self.seen.values())),
            "workers_lost": list(self.lost),
            "client_log": self.log[-20:],
        }

    def map(
        self,
        fn: Callable[[Task], Result],
        tasks: Iterable[Task],
        fail: Callable[[Task, dict[str, Any]], Result],
    ) -> Iterator[Result]:
        from dask.distributed import as_completed

        todo = iter(tasks)
        pending: dict[str, Task] = {}
        stream = as_completed()

        def submit() -> None:
            task = next(todo, None)
            if task is not None:
                future = self.client.submit(fn, task, pure=False)
                pending[future.key] = task  # type: ignore[index]
                stream.add(future)

        for _ in range(2 * self.slots):
            submit()
        for future in self._finished(stream):
            task = pending.pop(future.key)
            try:
                out = self._result(future)
            except UserError:
                raise
            except Exception as err:  # the worker died or the result could not be moved
                out = fail(task, failure_record(err))
            future.release()
            yield out
            submit()

    def _result(self, future: Any) -> Any:
        """``future.result()``, watched: a finished result that lived on a worker which died
        is computed again, and without a worker that would wait for ever -- so it waits at
        most ``worker_timeout`` seconds with no worker (then UserError, resumable)."""
        while True:
            # the status is polled rather than result(timeout=...) called again and again: each
            # timed-out result() leaves a gather task behind, which distributed (3.13's) then
            # reports as "Task exception was never retrieved" with a traceback on the way out
            while future.status not in ("finished", "error", "cancelled"):
                self._watch_workers()
                time.sleep(0.2)
            try:
                return future.result(timeout=5)
            except TimeoutError:  # finished, but its worker died before the result moved
                self._watch_workers()

    def _watch_workers(self) -> None:
        """Note workers that came and went; UserError once there has been none for
        ``worker_timeout`` seconds (the chunks written so far stay: resume later)."""
        workers = self.client.scheduler_info().get("workers", {})
        for address, info in workers.items():  # keyed by address, as nthreads() is
            self.seen.setdefault(address, int(info.get("nthreads", 0)))
        self.lost = sorted(set(self.seen) - set(workers))
        if workers:
            self._alone_since = None
            return
        if self._alone_since is None:
            self._alone_since = time.monotonic()
        elif time.monotonic() - self._alone_since > self.worker_timeout:
            lost = f" (lost: {', '.join(self.lost)})" if self.lost else ""
            raise UserError(
                f"the Dask cluster at {self.address} has had no worker for "
                f"{self.worker_timeout:g} s{lost}; the finished chunks are kept"
            )

    def _finished(self, stream: Any) -> Iterator[Any]:
        """The futures as they finish, watching the workers while none does."""
        while not stream.is_empty():
            batch = stream.next_batch(block=False)
            if batch:
                yield from batch
                continue
            self._watch_workers()
            time.sleep(0.2)


def make_executor(
    workers: int, scheduler: str | None, dask_worker_timeout: float | None = None
) -> SerialExecutor | PoolExecutor | DaskExecutor:
    if scheduler:
        return DaskExecutor(scheduler, dask_worker_timeout)
    if workers <= 1:
        return SerialExecutor()
    return PoolExecutor(workers)


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
