"""What people look at: matplotlib figures (``plots``; the only module that imports
matplotlib), the figure writers handed to the commands (``figures``), the report
(``report``) and the Solara dashboard (``dashboard``, ``dashboard_app``); their commands
are in :mod:`model.cli`.

May import: every layer below; only ``model.cli`` imports it.
"""
