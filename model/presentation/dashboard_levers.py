"""The dashboard's levers: one list of data, their bounds read from the scenario schema.

Each :class:`Lever` names the key path it sets (``*``: every key of that table where the
rest of the path exists, e.g. every treaty with a reciprocity rule; ``[]``: every entry of
that array), its label, its control and step. Its bounds come from the schema's node at
that path (:func:`schema_node` walks :data:`model.files.schema.SCENARIO`: a ``Number``'s
``low`` and ``high``, a ``Month``'s ``none``), its start from the baseline file (its
central value). Adding a lever is one entry in :data:`LEVERS`: the page draws its control,
:class:`~model.presentation.dashboard.DashboardModel` takes its keyword, :func:`apply_levers`
sets, scales or refuses it.

A lever at its start keeps the scenario file's own value (choosing another file is not
undone by the sliders); a lever that moves a number the file gives as a distribution fixes
it to that number in every run, except a scaling lever, which scales the distribution. A
value that cannot be used -- a month that does not exist, a typed number that is not one or
lies outside the schema's bounds, anything the schema rejects -- is *refused* with a line
saying why; applying levers never raises because of a control.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from model.files.scenario import Scenario, ScenarioError
from model.world.calendar import MonthError, format_month, is_month_text, parse_month
from model.world.distributions import central, is_distribution
from model.world.parameters import declared
from model.world.routes import TRANSIT_ROUTE

AS_IN_SCENARIO = "as in scenario"


@dataclass(frozen=True)
class Lever:
    """One control of the page and the key path(s) it sets."""

    name: str  # DashboardModel's keyword and the control's key
    label: str  # in messages ("Blockade effectiveness refused: ...")
    path: str  # key path; "*" every key of a table that has the rest, "[]" every entry
    control: str  # "Select" (months), "SliderFloat", "SliderInt" or "InputText" (a number)
    hint: str = ""  # after the label on the control
    step: float = 1.0
    scale: bool = False  # the value multiplies the file's value(s) instead of replacing them
    unit: str = ""  # the typed or shown unit
    per_unit: float = 1.0  # file units per unit shown (M RM: 1e6)
    high: float | None = None  # the control's top where the schema sets no upper bound
    first: str = ""  # a month lever: its choices start here (to the baseline window's end)

    @property
    def control_label(self) -> str:
        return f"{self.label}{self.hint}"


LEVERS: tuple[Lever, ...] = (
    Lever("invasion", "Invasion month", "events.invasion", "Select", first="1940-06"),
    Lever("delivery_share", "German delivery rate", "germany.exports.delivery_share",
          "SliderFloat", " (share of what is due)", step=0.05),
    Lever("tolerance_m_rm", "Reciprocity tolerance", "treaties.*.reciprocity.tolerated_imbalance_rm",
          "InputText", ", M RM (blank: file)", unit="M RM", per_unit=1e6),
    Lever("blockade_effectiveness", "Blockade effectiveness", "blockade.effectiveness",
          "SliderFloat", step=0.01),
    Lever("trans_siberian_t_per_month", "Trans-Siberian capacity",
          f"routes.{TRANSIT_ROUTE}.capacity_t_per_month", "SliderInt", ", t/month", step=1_000,
          unit="t/month", high=150_000),
    Lever("synthetic_oil_scale", "Synthetic oil capacity", "germany.synthetic.oil.schedule[].t_per_month",
          "SliderFloat", " (x the scenario's schedule)", step=0.05, scale=True, high=2.0),
)  # fmt: skip
BY_NAME = {lever.name: lever for lever in LEVERS}


# ---------------------------------------------------------------------------------------
# the schema and the scenario at a key path
# ---------------------------------------------------------------------------------------
def scenario_schema() -> Any:
    """The assembled scenario schema (the root node)."""
    from model.files.schema import SCENARIO

    return SCENARIO


def _parts(path: str) -> list[str]:
    """'a.b[].c' -> ['a', 'b', '[]', 'c']."""
    out = []
    for part in path.split("."):
        name, brackets = part.split("[")[0], part.count("[")
        out += [name, *["[]"] * brackets]
    return out


def schema_node(path: str) -> Any:
    """The schema's node at ``path`` (``*`` or any key: a map's value; ``[]``: an array's
    item), by :func:`model.world.parameters.declared`; raises KeyError naming the path."""
    try:
        return declared(scenario_schema(), path.replace("[]", "[0]"))
    except KeyError:
        raise KeyError(f"the scenario schema has no {path!r}") from None


def concrete_paths(data: Any, path: str) -> list[str]:
    """The key paths of ``data`` that ``path`` names (``*`` and ``[]`` expanded)."""
    found = [("", data)]
    for part in _parts(path):
        nxt = []
        for where, value in found:
            if part == "[]" and isinstance(value, list):
                nxt += [(f"{where}[{i}]", v) for i, v in enumerate(value)]
            elif part == "*" and isinstance(value, Mapping):
                nxt += [(f"{where}.{k}" if where else str(k), v) for k, v in value.items()]
            elif isinstance(value, Mapping) and part in value:
                nxt.append((f"{where}.{part}" if where else part, value[part]))
        found = nxt
    return [where for where, _ in found]


def bounds(lever: Lever) -> tuple[float, float]:
    """The control's range: the schema's bounds (a scaling lever: 0 to ``high`` if the
    quantity may not be negative), ``high`` where the schema has none."""
    node = schema_node(lever.path)
    low, high = getattr(node, "low", None), getattr(node, "high", None)
    if lever.scale:
        return (0.0 if low == 0 else -math.inf), float(lever.high or math.inf)
    return float(-math.inf if low is None else low / lever.per_unit), float(
        (lever.high if high is None else high / lever.per_unit) or math.inf
    )


def month_choices(lever: Lever, window_end: str) -> list[str]:
    """A month lever's choices: as in the scenario, "none" if the schema allows it, months."""
    none = ["none"] if getattr(schema_node(lever.path), "none", False) else []
    months = [format_month(i) for i in range(parse_month(lever.first), parse_month(window_end) + 1)]
    return [AS_IN_SCENARIO, *none, *months]


def _number(value: Any) -> float:
    """The central value of a number or a distribution in a scenario."""
    return float(central(value)) if is_distribution(value) else float(value)


def lever_starts(baseline: Scenario) -> dict[str, Any]:
    """Where each control starts: the baseline's central value, or the schema's default
    where the file has none (rounded to the step),
    1 for a scaling lever, blank for a typed one, "as in scenario" for a month."""
    out: dict[str, Any] = {}
    for lever in LEVERS:
        if lever.control == "Select":
            out[lever.name] = AS_IN_SCENARIO
        elif lever.control == "InputText":
            out[lever.name] = ""
        elif lever.scale:
            out[lever.name] = 1.0
        else:
            value = baseline.get(lever.path)  # absent from the file: its declared default
            start = 0.0 if value is None else _number(value) / lever.per_unit
            out[lever.name] = (
                int(round(start / lever.step) * lever.step)
                if lever.control == "SliderInt"
                else start
            )
    return out


# ---------------------------------------------------------------------------------------
# applying the levers
# ---------------------------------------------------------------------------------------
def _show(value: Any) -> str:
    """A scenario value for people: numbers with thousands separators, distributions by centre."""
    if isinstance(value, bool) or not (isinstance(value, int | float) or is_distribution(value)):
        return str(value)
    number = _number(value)
    text = f"{number:,.0f}" if abs(number) >= 1000 else f"{number:.3g}"
    return f"~{text}" if is_distribution(value) else text


_SCALED_KEYS = ("low", "mode", "high", "mean", "sd", "median")  # a distribution's numbers


def scale_quantity(value: Any, factor: float) -> Any:
    """A quantity (number or distribution table) multiplied by ``factor`` >= 0."""
    if factor == 0:
        return 0.0
    if not is_distribution(value):
        return float(value) * factor
    out = dict(value)
    for key in _SCALED_KEYS:
        if key in out:
            out[key] = float(out[key]) * factor
    if out["dist"] == "choice":
        out["values"] = [float(v) * factor for v in out["values"]]
    return out


def parse_month_choice(text: Any, none_ok: bool = True) -> str | None:
    """``"none"``, a month ``YYYY-MM``, or None for "as in scenario". Raises ValueError to refuse."""
    if text is None or str(text).strip() in ("", AS_IN_SCENARIO):
        return None
    value = str(text).strip()
    if value == "none" and none_ok:
        return value
    if not is_month_text(value):
        raise ValueError(
            f"{value!r}: expected a month 'YYYY-MM'" + (" or 'none'" if none_ok else "")
        )
    try:
        parse_month(value)
    except MonthError as err:
        raise ValueError(f"{value!r}: {err}") from None
    return value


def parse_number(text: Any, lever: Lever) -> float | None:
    """A typed number in the lever's unit; None if blank. Raises ValueError to refuse."""
    if text is None or str(text).strip() == "":
        return None
    try:
        value = float(str(text).strip().replace(",", ""))
    except ValueError:
        raise ValueError(f"{text!r} is not a number; type it in {lever.unit}, e.g. 30") from None
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number of {lever.unit}")
    low, high = bounds(lever)
    if value < low:
        what = "negative" if low == 0 else f"below {low:g}"
        raise ValueError(f"{text!r} is {what}; it must be {low:g} {lever.unit} or more")
    if value > high:
        raise ValueError(f"{text!r} is above {high:g} {lever.unit}")
    return value


@dataclass
class LeverResult:
    """What the controls did to a scenario: overrides applied and values refused."""

    overrides: dict[str, Any] = field(default_factory=dict)
    applied: list[str] = field(default_factory=list)  # readable "lever: new (file: old)"
    refused: list[str] = field(default_factory=list)  # readable "lever 'value' refused: why"


def _value(lever: Lever, raw: Any, start: Any) -> Any:
    """The lever's value to apply, None to leave the file alone; ValueError refuses."""
    if lever.control == "Select":
        return parse_month_choice(raw, getattr(schema_node(lever.path), "none", False))
    if lever.control == "InputText":
        return parse_number(raw, lever)
    if raw is None or (start is not None and math.isclose(float(raw), float(start))):
        return None
    value: float = int(round(float(raw))) if lever.control == "SliderInt" else float(raw)
    low, high = bounds(lever)
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{value:g} is outside {low:g}..{high:g}")
    return value


def _apply_one(scenario: Scenario, lever: Lever, value: Any, result: LeverResult) -> None:
    paths = concrete_paths(scenario.data, lever.path)
    if not paths:
        result.refused.append(f"{lever.label} refused: this scenario has no {lever.path}")
        return
    for path in paths:
        old = scenario.get(path)
        if lever.scale:
            result.overrides[path] = scale_quantity(old, value)
        else:
            new = value * lever.per_unit if lever.per_unit != 1 else value
            result.overrides[path] = new
            wild = [
                p for p, q in zip(path.split("."), lever.path.split("."), strict=False) if q == "*"
            ]
            name = f"{lever.label} ({', '.join(wild)})" if wild else lever.label
            unit = f" {lever.unit}" if lever.unit else ""
            shown = (lambda v: _show(_number(v) / lever.per_unit)) if lever.per_unit != 1 else _show
            result.applied.append(f"{name}: {shown(new)}{unit} (file: {shown(old)}{unit})")
    if lever.scale:
        result.applied.append(
            f"{lever.label}: x{value:.2f} of the file's {lever.path.split('.')[-1]}"
        )


def apply_levers(
    scenario: Scenario, starts: Mapping[str, Any], **values: Any
) -> tuple[Scenario, LeverResult]:
    """The scenario with the levers' overrides (``values`` by lever name), validated;
    refused values are left out, each with its reason."""
    unknown = sorted(set(values) - set(BY_NAME))
    if unknown:
        raise TypeError(f"unknown lever(s) {', '.join(unknown)}; levers are: {', '.join(BY_NAME)}")
    result = LeverResult()
    for lever in LEVERS:
        raw = values.get(lever.name)
        try:
            value = _value(lever, raw, starts.get(lever.name))
        except (ValueError, TypeError) as err:
            result.refused.append(f"{lever.label} refused: {err}")
            continue
        if value is not None:
            _apply_one(scenario, lever, value, result)
    return validated_levers(scenario, result)


def validated_levers(scenario: Scenario, result: LeverResult) -> tuple[Scenario, LeverResult]:
    """The scenario with all the overrides if it stays valid; else unchanged, and why."""
    if not result.overrides:
        return scenario, result
    changed = scenario.with_overrides(result.overrides)
    from model.files.schema import validate

    try:
        validate(changed.data, scenario.path)
    except ScenarioError as err:
        message = f"{err.key_path}: {err.expected}" if err.key_path else err.expected
        refused = [
            *result.refused,
            f"Levers refused together, the scenario would be invalid: {message}",
        ]
        return scenario, LeverResult(refused=refused)
    return changed, result
