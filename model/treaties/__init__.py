"""Treaties and their rules: one module per rule (quotas, values, credit, reciprocity,
transit, purchase), the month they act in (``month``: phases, :class:`TreatyMonth`), and the
registry with ``Treaty`` (``rules``: ``RULES``, an unknown name lists the valid ones).

May import: ``model.errors``, ``model.world``, ``model.actors``.
"""
