"""The report in a real browser: its headline tables fit the page (issue 24, item 4).

A synthetic batch with the counterfactual experiment's 19 scenario names (the longest,
``synthetic_plants_bombed_1940``, sets the first column) is compared, rendered as
``report.html`` without figures and opened in headless Chromium: every table must fit the
page's 1,100 px column (the nine headline outcomes side by side were 1,831 px wide) and the
page must not scroll sideways. Needs Debian's Chromium; skipped without it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.behaviour.conftest import CHROMIUM
from tests.behaviour.test_report import synthetic_batch

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

if importlib.util.find_spec("pytest_playwright") is None:
    pytest.skip("pytest-playwright is not installed", allow_module_level=True)
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)", allow_module_level=True)

NAMES = (
    "baseline", "no_pact", "invasion_1940_09", "invasion_1941_05", "no_invasion",
    "german_deliveries_on_time", "strict_reciprocity", "barter_only", "no_transit",
    "tight_blockade", "no_romanian_oil_pact", "no_french_fuel_capture",
    "synthetic_plants_bombed_1940", "no_lutzow_sale", "soviet_oil_embargo_1940", "early_buna",
    "jan_1941_quotas_doubled", "soviet_full_quota", "dues_by_seniority",
)  # fmt: skip
PAGE_PX = 1100  # report.CSS: body max-width


@pytest.fixture(scope="module")
def report_html(tmp_path_factory) -> Path:
    from model.analysis.compare import compare, load_results
    from model.presentation.report import render_html
    from model.presentation.report_figures import scenario_infos

    scenarios = {
        name: (f"{name.replace('_', ' ').capitalize()}: a title", "What if?", 3.0 * i, 1.0 - i / 40)
        for i, name in enumerate(NAMES)
    }
    folder = synthetic_batch(tmp_path_factory.mktemp("wide") / "batch", scenarios)
    results = load_results(folder)
    table = compare(results, "baseline", 0)
    page = folder / "report.html"
    page.write_text(render_html(results, table, [], scenario_infos(results)), encoding="utf-8")
    return page


def test_the_headline_tables_fit_the_page(report_html, page):
    page.goto(report_html.as_uri())
    widths = page.evaluate(
        "[...document.querySelectorAll('table.headline')].map(t => t.getBoundingClientRect().width)"
    )
    assert len(widths) == 2  # the stock-outs and the amounts
    assert all(w <= PAGE_PX for w in widths), f"headline tables {widths} px in a {PAGE_PX} px page"
    overflow = page.evaluate(
        "[...document.querySelectorAll('table')].filter(t => t.scrollWidth > t.clientWidth + 1).length"
    )
    assert overflow == 0
    sideways = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert sideways <= 0, f"the page scrolls {sideways} px sideways"
    # every headline outcome is in one of the tables, each scenario a row in both
    rows = page.evaluate("[...document.querySelectorAll('table.headline')].map(t => t.rows.length)")
    assert rows == [len(NAMES), len(NAMES)]  # a header and 18 counterfactuals each
