"""Experiments: experiment files and designs (``experiment``), planning (``plan``,
``preflight``), the chunk worker (``worker``) and its executors (``executors``), and running,
resuming and consolidating a batch (``run``) into a result folder of :mod:`model.store`.

Figures are not drawn here: the commands receive the presentation layer's figure writers
from ``model.cli``.

May import: every layer below -- ``errors``, ``world``, ``actors``, ``treaties``, ``files``,
``engine``, ``store``.
"""
