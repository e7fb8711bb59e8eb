"""The checks the commands share for numbers on the command line: each refusal is one line
naming the option, what it got and what it takes (never a traceback from deep inside).

May import: every layer (this is the top one).
"""

from __future__ import annotations

from model.batch.experiment import MAX_REPLICATIONS, SEED_MAX
from model.errors import UserError


def check_seed(seed: int, option: str = "--seed") -> int:
    """A master seed: a whole number from 0 to 2**64 - 1 (numpy's SeedSequence takes no other)."""
    if not 0 <= seed <= SEED_MAX:
        raise UserError(f"{option} must be a whole number from 0 to 2**64 - 1, got {seed}")
    return seed


def check_runs(runs: int, option: str = "--runs") -> int:
    """A number of runs: from 1 to the replications an experiment may have."""
    if not 1 <= runs <= MAX_REPLICATIONS:
        raise UserError(f"{option} must be from 1 to {MAX_REPLICATIONS:,}, got {runs:,}")
    return runs
