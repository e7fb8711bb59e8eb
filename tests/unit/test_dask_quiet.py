"""What distributed's client logs while a Dask batch runs is kept, not printed (the CI run
of 2026-12-03 on 3.12 saw "Couldn't gather 1 keys" and an asyncio "Task exception was never
retrieved ... AllExit" traceback around our one-line error when the last worker was killed
just after a chunk finished on it)."""

from __future__ import annotations

import asyncio
import gc
import logging

from model.batch.executors import DaskExecutor, _KeepRecords, _quiet_abandoned_gathers


def test_a_client_warning_is_kept_and_not_printed(capsys):
    kept: list[str] = []
    keep = _KeepRecords(kept)
    logger = logging.getLogger("distributed.client")
    logger.addFilter(keep)
    try:
        logger.warning("Couldn't gather %d keys, rescheduling", 1)
    finally:
        logger.removeFilter(keep)
    assert kept == ["distributed.client WARNING: Couldn't gather 1 keys, rescheduling"]
    assert "gather" not in capsys.readouterr().err
    assert "distributed.client" in DaskExecutor.QUIET_LOGGERS


class AllExit(Exception):  # the name distributed.client gives an abandoned gather's end
    pass


def test_an_abandoned_gather_is_kept_and_other_loop_errors_still_reported(caplog):
    kept: list[str] = []
    loop = asyncio.new_event_loop()
    _quiet_abandoned_gathers(loop, kept)

    async def abandoned():
        raise AllExit()

    async def broken():
        raise ValueError("a real error")

    try:
        for coro in (abandoned, broken):
            task = loop.create_task(coro())
            loop.run_until_complete(asyncio.wait([task]))
            del task  # never retrieved: asyncio reports it when the task is collected
            gc.collect()
    finally:
        loop.close()
    assert len(kept) == 1 and "never retrieved" in kept[0] and "AllExit" in kept[0]
    reported = [r for r in caplog.records if r.name == "asyncio"]
    assert len(reported) == 1 and "ValueError" in str(reported[0].exc_info)
