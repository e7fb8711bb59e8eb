"""The Mesa model and its month loop (``simulation.PactModel``), R runs side by side;
``runner.simulate`` draws a scenario's uncertain values and returns a ``RunResult``;
``outcomes`` turns a result into the per-run outcomes table (kept here, below the batch
layer, because every batch chunk computes it).

May import: ``model.errors``, ``model.world``, ``model.actors``, ``model.treaties``,
``model.files``.
"""
