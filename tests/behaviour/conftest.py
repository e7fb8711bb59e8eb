"""Fixtures of the browser tests: pytest-playwright pointed at Debian's Chromium
(docs/architecture.md §12: playwright cannot download a browser here)."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is absent (apt-get install -y chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def base_url(pytestconfig):
    # Replaces pytest-playwright's fallback ``base_url``, a session fixture defined as a method
    # of a plugin object, which pytest >= 9.1 warns about (PytestRemovedIn10Warning) whenever it
    # is used. Same value: --base-url, else none (this test navigates by full URL).
    return pytestconfig.getoption("--base-url", None) or None


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}
