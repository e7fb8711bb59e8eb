"""Experiments: experiment files and designs (``experiment``), the chunk worker and its
executors, the batch result folder with its manifest and resume (``folder``, ``results``),
the ``pactsim batch`` and ``pactsim run`` commands, and ``pactsim bench``.

Figures are not drawn here: the commands receive the presentation layer's figure writers
from ``model.cli``.

May import: every layer below -- ``errors``, ``world``, ``files``, ``actors``, ``treaties``,
``engine``.
"""
