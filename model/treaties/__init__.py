"""Treaties and their rules: quotas, values, credit, reciprocity, transit and third-party
purchase (``rules``: the rule classes, ``RULES`` registry and ``Treaty``).

May import: ``model.errors``, ``model.world``, ``model.files``, ``model.actors``.
"""
