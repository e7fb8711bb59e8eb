"""The Mesa agents: Germany, the Soviet Union, the British blockade and the third-party
suppliers. Each reads its parameters from a ``ParameterView`` and moves goods through ledgers
and routes.

May import: ``model.errors``, ``model.world``, ``model.treaties`` (the balance watch the
USSR's own suspension shares with the treaties' reciprocity, the plug-in registry check). Declares what each agent reads of a scenario
(``schema``, and ``SCHEMA`` in the Mesa-free modules).
"""
