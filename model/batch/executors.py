"""The executors: serial, a local process pool, a Dask cluster -- one interface for every
layer that runs many independent tasks (batches, sensitivity designs, the bench).

``executor.map(fn, tasks, fail)`` yields ``fn(task)`` for every task as it finishes (in
order for the serial executor, as completed otherwise), with at most two tasks per worker in
flight. A task whose process died or whose result could not be moved becomes ``fail(task,
record)`` (:func:`failure_record`); ``fail`` may raise instead. ``fn`` and the tasks must be
picklable (module-level functions, plain data).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import socket
import threading
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


class SerialExecutor:
    """Chunks one after another in this process (``--workers 1``)."""

    def __init__(self) -> None:
        self.description = "serial, in-process"

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

    def _open(self) -> None:
        # fork is fast (the model is already imported) but only safe with no other thread
        # alive (a lock held by one would stay locked in the child): else a fork server
        methods = multiprocessing.get_all_start_methods()
        context: multiprocessing.context.BaseContext
        if "fork" in methods and _only_thread():
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
            self.workers, mp_context=context, initializer=_ignore_interrupts
        )
        for future in [self.pool.submit(os.getpid) for _ in range(self.workers)]:
            future.result()  # every worker is up before any other thread starts
        self.generation += 1

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


def _ignore_interrupts() -> None:
    """Ctrl-C is the main process's to handle: it stops submitting and keeps what is done."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


class DaskExecutor:
    """A Dask distributed cluster; at most two chunks per worker thread are in flight."""

    def __init__(self, address: str):
        self.address = address
        self.description = f"Dask cluster at {address}"

    def __enter__(self) -> DaskExecutor:
        from dask.distributed import Client

        try:
            self.client = Client(self.address, timeout="20s")
        except (OSError, TimeoutError, ValueError) as err:
            raise UserError(f"cannot reach the Dask scheduler at {self.address}: {err}") from None
        self.slots = max(1, sum(self.client.nthreads().values()))
        self.description = f"Dask cluster at {self.address}, {self.slots} worker threads"
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

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
        for future in stream:
            task = pending.pop(future.key)
            try:
                out = future.result()
            except Exception as err:  # the worker died or the result could not be moved
                out = fail(task, failure_record(err))
            future.release()
            yield out
            submit()


def make_executor(
    workers: int, scheduler: str | None
) -> SerialExecutor | PoolExecutor | DaskExecutor:
    if scheduler:
        return DaskExecutor(scheduler)
    if workers <= 1:
        return SerialExecutor()
    return PoolExecutor(workers)


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
