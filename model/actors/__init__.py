"""The Mesa agents: Germany, the Soviet Union, the British blockade and the third-party
suppliers. Each reads its parameters from a ``ParameterView`` and moves goods through ledgers
and routes.

May import: ``model.errors``, ``model.world``. Declares what each agent reads of a scenario
(``schema``, and ``SCHEMA`` in the Mesa-free modules).
"""
