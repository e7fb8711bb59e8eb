"""Treaties and their rules: one module per rule (quotas, values, credit, reciprocity,
transit, purchase, barter), the month they act in (``month``: phases, :class:`TreatyMonth`,
the registry check), and the registry with ``Treaty`` (``rules``: ``RULES``, an unknown name
lists the valid ones).

May import: ``model.errors``, ``model.world``.
"""
