"""Scenario files: TOML loading and ``extends`` (``scenario``), input limits (``limits``) and
the scenario schema (``schema``), assembled from the declarations of the modules that read
each key (the agents, the Soviet policy and treaty rules, the routes), which is why this
layer sits above ``actors`` and ``treaties``.

May import: ``model.errors``, ``model.world``, ``model.actors``, ``model.treaties``.
"""
