"""What distributed's client logs while a Dask batch runs is kept, not printed (the CI run
of 2026-12-03 on 3.12 saw "Couldn't gather 1 keys" and an asyncio "Task exception was never
retrieved ... AllExit" traceback around our one-line error when the last worker was killed
just after a chunk finished on it)."""

from __future__ import annotations

import asyncio
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
    """The handler sees what asyncio passes when a task's exception was never retrieved
    (called directly: whether and when a collected task reports depends on the GC)."""
    kept: list[str] = []
    loop = asyncio.new_event_loop()
    try:
        _quiet_abandoned_gathers(loop, kept)
        message = "Task exception was never retrieved"
        loop.call_exception_handler({"message": message, "exception": AllExit()})
        with caplog.at_level(logging.ERROR, logger="asyncio"):
            loop.call_exception_handler({"message": message, "exception": ValueError("real")})
    finally:
        loop.close()
    assert kept == ["asyncio: Task exception was never retrieved (AllExit)"]
    reported = [r for r in caplog.records if r.name == "asyncio"]
    assert len(reported) == 1 and "ValueError" in str(reported[0].exc_info)
