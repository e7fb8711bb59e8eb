"""Where the commands write: rich consoles as wide as the terminal, and a closed stdout.

``pactsim compare RESULT | head`` closes the command's stdout after a few lines. That is not
an error: :func:`model.cli.main` ends the command quietly with :data:`CLOSED_PIPE_STATUS`
(no message, no traceback), as Unix tools do. This module provides what it needs:
:func:`stdout_closed` tells a closed stdout from any other broken pipe (a worker's, a Dask
connection's), and :func:`console` makes rich consoles that leave a closed pipe to that one
handler (rich's own handler would exit with status 1).

May import: every layer (this is the top one).
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import sys
from collections.abc import Iterator
from typing import Any

# 128 + SIGPIPE (13): the status a shell reports for a Unix tool whose reader has gone
# (``seq 100000 | head``), so a script can tell a cut-short output from a complete one
CLOSED_PIPE_STATUS = 141
PIPED_WIDTH = 120  # the width of tables without a terminal or $COLUMNS


def stdout_closed() -> bool:
    """True if stdout is a pipe or socket whose reader has gone (a write would fail with EPIPE)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # replaced (a test's capture), or closed
        return False
    if not hasattr(select, "poll"):  # no poll (Windows): a broken pipe there is stdout's
        return True
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


def quiet_stdout() -> None:
    """Point stdout at the null device: the interpreter's last flush then fails nowhere."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):
        pass


def console(piped_width: int = PIPED_WIDTH) -> Any:
    """A rich console as wide as the terminal, or $COLUMNS, or ``piped_width`` when piped;
    a closed stdout raises :class:`BrokenPipeError` to :func:`model.cli.main`."""
    from rich.console import Console

    class PipedConsole(Console):
        def on_broken_pipe(self) -> None:  # rich would point stdout at /dev/null and exit 1
            self.quiet = True
            raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))

    shown = PipedConsole()
    if shown.is_terminal or os.environ.get("COLUMNS", "").isdigit():
        return shown
    return PipedConsole(width=piped_width)


class SparedStderr:
    """``sys.stderr`` for a long command whose stderr is only for progress and warnings: when
    its reader has gone (``2>&1 >out | head``, a closed log pipe), what is written afterwards
    goes to the null device instead of ending the command (rich's handler would exit 1 and
    leave a batch's partial folder behind)."""

    def __init__(self, stream: Any):
        self.stream, self.gone = stream, False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                return int(self.stream.write(text))
            except BrokenPipeError:
                self._gone()
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._gone()

    def _gone(self) -> None:
        self.gone = True
        try:  # the interpreter's last flush of what is still buffered then fails nowhere
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)
        except (AttributeError, OSError, ValueError):
            pass

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding: the stream's
        return getattr(self.stream, name)


@contextlib.contextmanager
def spared_stderr() -> Iterator[None]:
    """While inside, a stderr whose reader has gone ends nothing (:class:`SparedStderr`)."""
    before = sys.stderr
    if before is None:  # started with stderr closed (2>&-): nothing is written anyway
        yield
        return
    sys.stderr = SparedStderr(before)
    try:
        yield
    finally:
        sys.stderr = before
