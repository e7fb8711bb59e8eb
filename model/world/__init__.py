"""The world the model is set in: goods, months, ledgers, routes, random streams, parameters.

Owns the vocabulary every other layer speaks -- the goods catalogue (``goods``), calendar
months and windows (``calendar``), the conserving ledger (``ledger``), the route network and
its flows (``routes``), seeded random streams (``randomness``), distributions and their
quantiles (``distributions``), key paths into nested data (``keypaths``), the per-run
parameter arrays (``parameters``) and the node types every module declares its parameters
with (``nodes``, ``kinds``).

May import: ``model.errors`` only (and numpy/scipy).
"""
