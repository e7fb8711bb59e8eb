"""Validation of a resolved scenario (minimal; extended by the scenario-files issue)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from model.calendar import MonthError, Window
from model.scenario import ScenarioError


def validate(data: dict[str, Any], path: Path) -> None:
    for key in ("window", "goods", "germany", "soviet_union", "routes"):
        if key not in data:
            raise ScenarioError(path, key, "missing required table")
    try:
        Window.from_texts(data["window"].get("start"), data["window"].get("end"))
    except MonthError as err:
        raise ScenarioError(path, "window", str(err)) from None
