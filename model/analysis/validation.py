"""Historical validation: the baseline against the recorded figures, and ``pactsim validate``.

The targets are data (``scenarios/validation/targets.toml``, DESIGN.md §9). Each names a recorded
figure (its value, unit, period, the history rows it comes from and their reliability
tag) and the model quantity it is compared with, written as a small expression:

- ``variable``: a recorded trajectory variable -- a goods variable (``stock``,
  ``consumption``, ``synthetic``, ``soviet_deliveries``, ...; needs ``good``), a run
  variable (``arrears_rm``, ``suspended``, ``transit_t``, ``soviet_delivered_rm``, ...),
  or ``imports`` (needs ``supplier`` and ``good``: arrivals in Germany by origin);
- ``statistic`` over the months ``from``..``to`` (inclusive), one of :data:`STATISTICS`:
  ``sum``, ``annual_rate`` (sum x 12 / months), ``value`` (at ``to``), ``increase``
  (value at ``to`` minus value before ``from``: for cumulative variables and stock
  changes), ``any`` (1 if the variable is non-zero in some month: events) and ``count``
  (months in which it is non-zero);
- ``value_in = "rm"`` values a goods quantity at its reference price.

Every run gives one value; a target is summarised by the **median** over runs (or, for an
event with ``summary = "share"``, by the share of runs in which it happens) and its
5th-95th percentile band. The acceptance band is ``record x (1 +- tolerance)``, the
tolerance following the source's tag (``[tolerance]`` in the file: tighter for [P], looser
for [S]/[W]), or an explicit ``band = [low, high]``, which [F]/[U] figures must give
(bound only). ``pactsim validate`` prints the table; the regression tests hold the bands.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from model.files.scenario import ScenarioError, read_toml
from model.world.calendar import MonthError, parse_month

if TYPE_CHECKING:
    from model.engine.runner import RunResult
    from model.files.scenario import Scenario

from model import PROJECT_ROOT

DEFAULT_TARGETS = PROJECT_ROOT / "scenarios" / "validation" / "targets.toml"
DEFAULT_RUNS = 200

TAGS = ("P", "S", "W", "F", "U", "D")
BOUND_ONLY_TAGS = ("F", "U")
UNITS: dict[str, float] = {
    # display unit -> model units (t, RM, months, runs) per display unit
    "t": 1.0,
    "kt": 1e3,
    "Mt": 1e6,
    "t/yr": 1.0,
    "kt/yr": 1e3,
    "Mt/yr": 1e6,
    "RM": 1.0,
    "M RM": 1e6,
    "months": 1.0,
    "share of runs": 1.0,
}
SUMMARIES = ("median", "share")
TARGET_KEYS = {
    "id", "description", "variable", "statistic", "good", "supplier", "from", "to", "value_in",
    "unit", "record", "tag", "rows", "tolerance", "band", "summary", "note", "role", "scenario",
}  # fmt: skip
REQUIRED_KEYS = (
    "id",
    "description",
    "variable",
    "statistic",
    "from",
    "to",
    "unit",
    "record",
    "tag",
    "rows",
    "role",
)
# DESIGN.md §9: a calibration target may be used to fit parameters; a validation target must
# not be cited by any input (tests/unit/test_validation_disjoint.py holds it).
ROLES = ("calibration", "validation")


# ---------------------------------------------------------------------------------------
# statistics over a (month, run) series: the expression language's verbs
# ---------------------------------------------------------------------------------------
def _sum(series: np.ndarray, first: int, last: int) -> np.ndarray:
    return series[first : last + 1].sum(axis=0, dtype=float)


def _annual_rate(series: np.ndarray, first: int, last: int) -> np.ndarray:
    return _sum(series, first, last) * 12.0 / (last - first + 1)


def _value(series: np.ndarray, first: int, last: int) -> np.ndarray:
    return series[last].astype(float)


def _increase(series: np.ndarray, first: int, last: int) -> np.ndarray:
    before = series[first - 1].astype(float) if first > 0 else np.zeros(series.shape[1])
    return series[last].astype(float) - before


def _any(series: np.ndarray, first: int, last: int) -> np.ndarray:
    return (series[first : last + 1] != 0).any(axis=0).astype(float)


def _count(series: np.ndarray, first: int, last: int) -> np.ndarray:
    return (series[first : last + 1] != 0).sum(axis=0).astype(float)


STATISTICS: dict[str, Callable[[np.ndarray, int, int], np.ndarray]] = {
    "sum": _sum,
    "annual_rate": _annual_rate,
    "value": _value,
    "increase": _increase,
    "any": _any,
    "count": _count,
}


# ---------------------------------------------------------------------------------------
# targets
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """One recorded figure and the model quantity it is compared with (display units)."""

    id: str
    description: str
    variable: str
    statistic: str
    first: str  # YYYY-MM, inclusive
    last: str
    unit: str
    record: float
    low: float
    high: float
    tag: str
    rows: tuple[str, ...]
    good: str | None = None
    supplier: str | None = None
    value_in: str = "units"
    summary: str = "median"
    note: str = ""
    role: str = "calibration"
    scenario: str | None = None  # a counterfactual claim's own scenario file (absolute path)

    @property
    def source(self) -> str:
        return ", ".join(self.rows)


@dataclass(frozen=True)
class TargetResult:
    target: Target
    values: np.ndarray  # per run, display units
    median: float  # the summary: median over runs, or share of runs for events
    p05: float | None
    p95: float | None

    @property
    def relative_error(self) -> float | None:
        if self.target.record == 0:
            return None
        return (self.median - self.target.record) / abs(self.target.record)

    @property
    def within_band(self) -> bool:
        return self.target.low <= self.median <= self.target.high

    def as_dict(self) -> dict[str, Any]:
        t = self.target
        return {
            "id": t.id,
            "description": t.description,
            "note": t.note,
            "unit": t.unit,
            "period": [t.first, t.last],
            "record": t.record,
            "median": self.median,
            "p05": self.p05,
            "p95": self.p95,
            "summary": t.summary,
            "relative_error": self.relative_error,
            "band": [t.low, t.high],
            "within_band": self.within_band,
            "rows": list(t.rows),
            "tag": t.tag,
            "role": t.role,
            "scenario": t.scenario,
        }


class _Checker:
    """Turns one ``[[target]]`` table into a Target, or raises a ScenarioError naming it."""

    def __init__(
        self,
        path: Path,
        tolerance: Mapping[str, float],
        scenario: Scenario,
        variables: Mapping[str, int],
    ):
        self.path = path
        self.tolerance = tolerance
        self.goods = tuple(scenario.get("goods", {}) or {})
        self.suppliers = (*tuple(scenario.get("suppliers", {}) or {}), "soviet_union")
        self.window = (
            parse_month(scenario.get("window.start")),
            parse_month(scenario.get("window.end")),
        )
        self.variables = variables  # name -> 3 (month, run, good) or 2 (month, run); imports: 4

    def fail(self, where: str, expected: str) -> ScenarioError:
        return ScenarioError(self.path, where, expected)

    def number(self, where: str, value: Any) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise self.fail(where, f"expected a number, got {value!r}")
        return float(value)

    def choice(self, where: str, value: Any, options: Sequence[str]) -> str:
        if value not in options:
            raise self.fail(where, f"must be one of {', '.join(options)}; got {value!r}")
        return str(value)

    def month(self, where: str, value: Any) -> int:
        try:
            index = parse_month(value)
        except MonthError as err:
            raise self.fail(where, str(err)) from None
        if not self.window[0] <= index <= self.window[1]:
            raise self.fail(where, f"month {value} is outside the scenario's window")
        return index

    def build(self, i: int, table: Any) -> Target:
        """One target from its table. Long because it checks each key in the file's order,
        each with the same error form (file, key path, what was expected)."""
        at = f"target[{i}]"
        if not isinstance(table, Mapping):
            raise self.fail(at, "expected a table")
        unknown = sorted(set(table) - TARGET_KEYS)
        if unknown:
            raise self.fail(
                f"{at}.{unknown[0]}", f"unknown key; allowed keys: {', '.join(sorted(TARGET_KEYS))}"
            )
        for key in REQUIRED_KEYS:
            if key not in table:
                raise self.fail(f"{at}.{key}", "missing required key")
        at = f"target[{i}] ({table['id']})"
        variable = self.choice(f"{at}.variable", table["variable"], sorted(self.variables))
        good, supplier = self.good_and_supplier(at, table, variable)
        statistic = self.choice(f"{at}.statistic", table["statistic"], tuple(STATISTICS))
        first, last = self.month(f"{at}.from", table["from"]), self.month(f"{at}.to", table["to"])
        if last < first:
            raise self.fail(f"{at}.to", f"ends ({table['to']}) before it starts ({table['from']})")
        value_in = self.choice(f"{at}.value_in", table.get("value_in", "units"), ("units", "rm"))
        if value_in == "rm" and good is None:
            raise self.fail(f"{at}.value_in", "'rm' values a good: give 'good'")
        unit = self.choice(f"{at}.unit", table["unit"], tuple(UNITS))
        record = self.number(f"{at}.record", table["record"])
        tag = self.choice(f"{at}.tag", table["tag"], TAGS)
        rows = table["rows"]
        if (
            not isinstance(rows, list)
            or not rows
            or not all(isinstance(r, str) and r for r in rows)
        ):
            raise self.fail(
                f"{at}.rows", 'expected a non-empty list of history rows, e.g. ["row 63", "O17"]'
            )
        low, high = self.band(at, table, record, tag)
        summary = self.choice(f"{at}.summary", table.get("summary", "median"), SUMMARIES)
        role = self.choice(f"{at}.role", table["role"], ROLES)
        scenario = table.get("scenario")
        if scenario is not None:
            if not isinstance(scenario, str) or not scenario:
                raise self.fail(
                    f"{at}.scenario",
                    "expected the path of a scenario file, relative to the targets file",
                )
            file = self.path.parent / (
                scenario if scenario.endswith(".toml") else f"{scenario}.toml"
            )
            if not file.is_file():
                raise self.fail(f"{at}.scenario", f"no scenario file {file}")
            scenario = str(file.resolve())
        return Target(
            id=str(table["id"]),
            description=str(table["description"]),
            variable=variable,
            statistic=statistic,
            first=table["from"],
            last=table["to"],
            unit=unit,
            record=record,
            low=low,
            high=high,
            tag=tag,
            rows=tuple(rows),
            good=good,
            supplier=supplier,
            value_in=value_in,
            summary=summary,
            note=str(table.get("note", "")),
            role=role,
            scenario=scenario,
        )

    def good_and_supplier(
        self, at: str, table: Mapping[str, Any], variable: str
    ) -> tuple[Any, Any]:
        """``good`` (for a per-good variable) and ``supplier`` (for imports), checked."""
        ndim = self.variables[variable]
        good = table.get("good")
        supplier = table.get("supplier")
        if ndim >= 3:
            good = self.choice(f"{at}.good", good, self.goods)
        elif good is not None:
            raise self.fail(f"{at}.good", f"{variable!r} is recorded per run, not per good")
        if variable == "imports":
            supplier = self.choice(f"{at}.supplier", supplier, self.suppliers)
        elif supplier is not None:
            raise self.fail(f"{at}.supplier", "only the 'imports' variable is recorded by supplier")
        return good, supplier

    def band(
        self, at: str, table: Mapping[str, Any], record: float, tag: str
    ) -> tuple[float, float]:
        if "band" in table:
            band = table["band"]
            if not isinstance(band, list) or len(band) != 2:
                raise self.fail(f"{at}.band", "expected [low, high]")
            low, high = (self.number(f"{at}.band", b) for b in band)
            if not low <= high:
                raise self.fail(f"{at}.band", "low must not exceed high")
            return low, high
        if tag in BOUND_ONLY_TAGS:
            raise self.fail(
                f"{at}.band",
                f"a [{tag}] figure is a bound only: give an explicit band = [low, high]",
            )
        if "tolerance" in table:
            tol = self.number(f"{at}.tolerance", table["tolerance"])
        elif tag in self.tolerance:
            tol = self.tolerance[tag]
        else:
            raise self.fail(
                f"{at}.tolerance", f"no tolerance for tag [{tag}] in [tolerance]; give one"
            )
        if not 0 <= tol:
            raise self.fail(f"{at}.tolerance", "must not be negative")
        return record - tol * abs(record), record + tol * abs(record)


# goods variables computed from recorded ones: a stock-out (model.outcomes.stockout_mask, 1/0)
# and months of cover (stock / demand), for the record's stock claims (M4, G13)
DERIVED_VARIABLES = ("stockout", "cover")


def recorded_variables() -> dict[str, int]:
    """Every variable a target may name, with its rank (goods variables 3, run variables 2)."""
    from model.engine.simulation import GOODS_VARIABLES, RUN_VARIABLES

    out = {name: 3 for name in (*GOODS_VARIABLES, *DERIVED_VARIABLES)}
    out.update({name: 2 for name in RUN_VARIABLES})
    out["imports"] = 4
    return out


def load_targets(path: str | Path, scenario: Scenario) -> list[Target]:
    """Read and check a targets file against the scenario it validates."""
    path = Path(path)
    data = read_toml(path)
    tolerance = data.get("tolerance", {})
    if not isinstance(tolerance, Mapping):
        raise ScenarioError(path, "tolerance", "expected a table of tag = relative tolerance")
    unknown = sorted(set(tolerance) - set(TAGS))
    if unknown:
        raise ScenarioError(
            path, f"tolerance.{unknown[0]}", f"unknown tag; tags are {', '.join(TAGS)}"
        )
    checker = _Checker(path, {}, scenario, recorded_variables())
    checker.tolerance = {tag: checker.number(f"tolerance.{tag}", v) for tag, v in tolerance.items()}
    tables = data.get("target")
    if not isinstance(tables, list) or not tables:
        raise ScenarioError(path, "target", "expected one or more [[target]] tables")
    unknown_top = sorted(set(data) - {"scenario", "title", "tolerance", "target"})
    if unknown_top:
        raise ScenarioError(
            path, unknown_top[0], "unknown key; allowed: scenario, title, tolerance, [[target]]"
        )
    targets = [checker.build(i, t) for i, t in enumerate(tables)]
    seen: set[str] = set()
    for i, t in enumerate(targets):
        if t.id in seen:
            raise ScenarioError(path, f"target[{i}].id", f"duplicate id {t.id!r}")
        seen.add(t.id)
    return targets


def scenario_path(targets_path: str | Path) -> Path:
    """The scenario a targets file validates (its ``scenario`` key, beside the file)."""
    targets_path = Path(targets_path)
    data = read_toml(targets_path)
    name = data.get("scenario", "baseline")
    if not isinstance(name, str) or not name:
        raise ScenarioError(
            targets_path, "scenario", f"expected the name of a scenario, got {name!r}"
        )
    return targets_path.parent / (name if name.endswith(".toml") else f"{name}.toml")


# ---------------------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------------------
class _Series:
    """(month, run) series of a result, by variable, good and supplier."""

    def __init__(self, result: RunResult):
        self.result = result
        self._imports: Any = None  # the imports DataArray, read on first use

    def get(self, target: Target) -> np.ndarray:
        r = self.result
        g = r.goods.index(target.good) if target.good is not None else None
        if target.variable == "imports":
            if self._imports is None:
                self._imports = r.dataset()["imports"]  # labelled: run, month, supplier, good
            series = self._imports.sel(supplier=target.supplier, good=target.good).values.T
        elif target.variable in DERIVED_VARIABLES:
            stock = np.asarray(r.trajectory["stock"][:, :, g], dtype=float)
            demand = np.asarray(r.trajectory["demand"][:, :, g], dtype=float)
            if target.variable == "stockout":
                from model.engine.outcomes import stockout_mask

                series = stockout_mask(stock, demand).astype(float)
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    series = np.where(demand > 0, stock / np.where(demand > 0, demand, 1.0), np.nan)
        elif g is not None:
            series = r.trajectory[target.variable][:, :, g]
        else:
            series = r.trajectory[target.variable]
        series = np.asarray(series, dtype=float)
        if target.value_in == "rm":
            series = series * float(r.prices[g])
        return series


def evaluate(result: RunResult, targets: Sequence[Target]) -> list[TargetResult]:
    """Each target's per-run values and their summary."""
    series = _Series(result)
    months = list(result.months)
    out = []
    for t in targets:
        first, last = months.index(t.first), months.index(t.last)
        values = STATISTICS[t.statistic](series.get(t), first, last) / UNITS[t.unit]
        if t.summary == "share":
            out.append(TargetResult(t, values, float(np.mean(values > 0)), None, None))
        else:
            p05, median, p95 = np.percentile(values, [5, 50, 95])
            out.append(TargetResult(t, values, float(median), float(p05), float(p95)))
    return out


def validate(
    targets_path: str | Path = DEFAULT_TARGETS,
    n_runs: int = DEFAULT_RUNS,
    seed: int = 0,
    scenario_file: str | Path | None = None,
) -> list[TargetResult]:
    """Run the scenario with its uncertainty (Monte Carlo) and compare it with the record."""
    from model.engine.runner import simulate
    from model.files.scenario import load

    scenario = load(scenario_file if scenario_file is not None else scenario_path(targets_path))
    targets = load_targets(targets_path, scenario)
    return evaluate_all(
        targets, scenario, lambda s: simulate(s, n_runs=n_runs, seed=seed, sample=n_runs > 1)
    )


def evaluate_all(
    targets: Sequence[Target], scenario: Scenario, run: Callable[[Scenario], RunResult]
) -> list[TargetResult]:
    """Evaluate every target against its scenario (the validated one, or a counterfactual
    claim's own file), running each scenario once; results in the targets' order."""
    from model.files.scenario import load

    by_scenario: dict[str | None, list[Target]] = {}
    for t in targets:
        by_scenario.setdefault(t.scenario, []).append(t)
    results: dict[str, TargetResult] = {}
    for file, group in by_scenario.items():
        for r in evaluate(run(scenario if file is None else load(file)), group):
            results[r.target.id] = r
    return [results[t.id] for t in targets]


# ---------------------------------------------------------------------------------------
# pactsim validate
# ---------------------------------------------------------------------------------------
