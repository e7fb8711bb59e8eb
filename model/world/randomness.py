"""Random numbers that do not depend on how runs are chunked.

One master seed becomes a ``numpy.random.SeedSequence``; its state is the key of a
counter-based generator: every random number is a hash of (key, purpose, replication,
index). Replication *i* therefore sees the same parameter sample and the same shocks in
every scenario (common random numbers) and whatever the chunk size R, the number of
workers or the executor (docs/architecture.md §6). The hash is SplitMix64's finaliser applied
twice, vectorised over replications, so drawing a chunk's shocks for the whole window
costs a few array operations and no per-run generator objects.

No global RNG is used anywhere (docs/architecture.md §11.1).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

import numpy as np

DEFAULT_SEED = 0  # the master seed when none is given (pactsim run, validate, experiments, the API)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_BLOCK_CELLS = 1 << 16  # (path, replication) cells hashed in one array operation


def master_key(seed: int) -> np.uint64:
    """The 64-bit key of a master seed, via SeedSequence."""
    state = np.random.SeedSequence(int(seed)).generate_state(2, dtype=np.uint64)
    return np.uint64(state[0] ^ (state[1] << np.uint64(1)))


def _mix(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def _purpose(name: str) -> np.uint64:
    return np.uint64(zlib.crc32(name.encode()) * 0x100000001)


def bits(key: np.uint64, purpose: str, replications: np.ndarray, n: int) -> np.ndarray:
    """(R, n) uint64 hashes of (key, purpose, replication, index)."""
    return _hashes(key, np.asarray(_purpose(purpose)), replications, n)


def _hashes(key: np.uint64, purposes: np.ndarray, replications: np.ndarray, n: int) -> np.ndarray:
    """(*purposes.shape, R, n) hashes of (key, purpose, replication, index) for purpose codes
    (integer arithmetic: the same bits whatever is hashed beside it)."""
    with np.errstate(over="ignore"):
        reps = np.asarray(replications, dtype=np.uint64)[:, None]
        index = np.arange(n, dtype=np.uint64)[None, :]
        x = _mix(key ^ purposes[..., None, None] ^ (reps * _GOLDEN))
        return _mix(x + (index + np.uint64(1)) * _GOLDEN)


def _unit(b: np.ndarray) -> np.ndarray:
    """Hashes as uniforms in (0, 1): their top 53 bits, centred in their interval."""
    return ((b >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)


def uniforms(key: np.uint64, purpose: str, replications: np.ndarray, n: int) -> np.ndarray:
    """(R, n) uniforms in (0, 1)."""
    return _unit(bits(key, purpose, replications, n))


def normals(key: np.uint64, purpose: str, replications: np.ndarray, n: int) -> np.ndarray:
    """(R, n) standard normals (Box-Muller on two independent uniform streams)."""
    u1 = uniforms(key, purpose + "/a", replications, n)
    u2 = uniforms(key, purpose + "/b", replications, n)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def parameter_uniforms(
    key: np.uint64, paths: Iterable[str], replications: np.ndarray
) -> dict[str, np.ndarray]:
    """Monte Carlo uniforms for each uncertain key path: one (R,) array per path.

    Keyed by the path, so a scenario that adds or drops an uncertainty does not shift
    the draws of the others.
    """
    paths = list(paths)
    codes = np.array([_purpose("param:" + p) for p in paths], dtype=np.uint64)
    out: dict[str, np.ndarray] = {}
    block = max(1, _BLOCK_CELLS // max(len(replications), 1))  # many paths at once, bounded memory
    for start in range(0, len(paths), block):
        drawn = _unit(_hashes(key, codes[start : start + block], replications, 1))[..., 0]
        out.update(zip(paths[start : start + block], drawn, strict=True))
    return out


def permuted(key: np.uint64, purpose: str, n: int, index: np.ndarray) -> np.ndarray:
    """Where a keyed permutation of ``range(n)`` sends each of ``index`` (int64, same shape).

    A bijection of ``range(n)`` computed element by element, so any slice of it costs only
    that slice: a balanced Feistel network of six rounds over the 2k-bit numbers (4**k >= n),
    its round function the counter hash of (key, purpose, round, half), walked along its
    cycle until the value falls below ``n`` (fewer than four steps on average). A Latin
    hypercube drawn with it (:class:`model.batch.experiment.Design`) needs no stored design.
    """
    idx = np.asarray(index, dtype=np.uint64)
    if n <= 1:
        return np.zeros(idx.shape, dtype=np.int64)
    half_bits = max(1, ((n - 1).bit_length() + 1) // 2)
    mask = np.uint64((1 << half_bits) - 1)
    shift = np.uint64(half_bits)
    with np.errstate(over="ignore"):
        seeds = np.array([_purpose(f"{purpose}/round{r}") for r in range(6)], dtype=np.uint64)
        rounds = list(_mix(np.uint64(key) ^ seeds))
    limit = np.uint64(n)

    def feistel(x: np.ndarray) -> np.ndarray:
        left, right = x >> shift, x & mask
        with np.errstate(over="ignore"):
            for k in rounds:
                left, right = right, left ^ (_mix(k ^ (right * _GOLDEN)) & mask)
        return (left << shift) | right

    out = idx.copy()
    todo = np.ones(out.shape, dtype=bool)
    while todo.any():
        out[todo] = feistel(out[todo])
        todo = out >= limit
    return out.astype(np.int64)
