"""The dashboard's status panel says when trade ended by the invasion (issue 13, part 6)."""

from __future__ import annotations

from model.presentation.dashboard import DashboardModel
from model.presentation.dashboard_app import status_rows


def test_after_the_invasion_the_panel_says_trade_ended():
    m = DashboardModel(runs=1)
    for _ in range(m.window.labels.index("1941-07") + 1):
        m.step()
    soviet = dict((q, (this, base)) for q, this, base in status_rows(m))["Soviet deliveries"]
    assert soviet == ("ended by the invasion (1941-06)", "ended by the invasion (1941-06)")
