"""`parameter_uniforms` hashes many key paths in one array operation; each path's draws must
be the bits of drawing it alone (``uniforms(key, "param:" + path, ...)``), whatever the block
the paths fall in, so adding or dropping an uncertainty never moves the others."""

import numpy as np

from model.world import randomness
from model.world.randomness import master_key, parameter_uniforms, uniforms

PATHS = [f"germany.stock.good{i}" for i in range(40)] + ["window.start", "a.b[2].c"]


def test_each_path_is_drawn_as_alone(monkeypatch) -> None:
    key = master_key(11)
    reps = np.array([0, 1, 5, 999, 2**33])
    alone = {p: uniforms(key, "param:" + p, reps, 1)[:, 0] for p in PATHS}
    for cells in (1, 7, 1 << 16):  # one path per block, a few, all at once
        monkeypatch.setattr(randomness, "_BLOCK_CELLS", cells)
        drawn = parameter_uniforms(key, PATHS, reps)
        assert list(drawn) == PATHS
        for p in PATHS:
            assert drawn[p].tobytes() == alone[p].tobytes(), p
    assert parameter_uniforms(key, [], reps) == {}
