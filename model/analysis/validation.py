"""Historical validation: the baseline against the recorded figures, and ``pactsim validate``.

The targets are data (``scenarios/validation/targets.toml``, docs/architecture.md §9). Each names a recorded
figure (its value, unit, period, the history rows it comes from and their reliability
tag) and the model quantity it is compared with, written as a small expression:

- ``variable``: a recorded trajectory variable -- a goods variable (``stock``,
  ``consumption``, ``synthetic``, ``soviet_deliveries``, ...; needs ``good``), a run
  variable (``arrears_rm``, ``suspended``, ``transit_t``, ``soviet_delivered_rm``, ...),
  or ``imports`` (needs ``supplier`` and ``good``: arrivals in Germany by origin);
- ``statistic`` over the months ``from``..``to`` (inclusive), one of :data:`STATISTICS`:
  ``sum``, ``annual_rate`` (sum x 12 / months), ``value`` (at ``to``), ``increase``
  (value at ``to`` minus value before ``from``: for cumulative variables and stock
  changes), ``any`` (1 if the variable is non-zero in some month: events), ``count``
  (months in which it is non-zero), ``mean`` (over the months) and ``growth`` (the increase over the period divided by
  the increase over as many months just before it: a half-year against the one before);
- ``value_in = "rm"`` values a goods quantity at its reference price.

Every run gives one value; a target is summarised by the **median** over runs (or, for an
event with ``summary = "share"``, by the share of runs in which it happens) and its
5th-95th percentile band. The acceptance band is ``record x (1 +- tolerance)``, the
tolerance following the source's tag (``[tolerance]`` in the file: tighter for [P], looser
for [S]/[W]), or an explicit ``band = [low, high]``, which [F]/[U] figures must give
(bound only). ``pactsim validate`` prints the table; the regression tests hold the bands.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from model.errors import resolve_path
from model.files.scenario import read_toml, shipped
from model.world.calendar import parse_month
from model.world.kinds import ordered
from model.world.nodes import (
    Choice,
    Context,
    ListOf,
    MapOf,
    Month,
    Name,
    Number,
    Ref,
    Table,
    Text,
    _join,
    _show,
)
from model.world.randomness import DEFAULT_SEED

if TYPE_CHECKING:
    from model.engine.runner import RunResult
    from model.files.scenario import Scenario

DEFAULT_TARGETS = shipped("scenarios") / "validation" / "targets.toml"
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
    "ratio": 1.0,
    "share": 1.0,
}
SUMMARIES = ("median", "share")
# docs/architecture.md §9: a calibration target may be used to fit parameters; a validation target must
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


def _mean(series: np.ndarray, first: int, last: int) -> np.ndarray:
    return series[first : last + 1].mean(axis=0, dtype=float)


def _any(series: np.ndarray, first: int, last: int) -> np.ndarray:
    return (series[first : last + 1] != 0).any(axis=0).astype(float)


def _count(series: np.ndarray, first: int, last: int) -> np.ndarray:
    return (series[first : last + 1] != 0).sum(axis=0).astype(float)


def _growth(series: np.ndarray, first: int, last: int) -> np.ndarray:
    """The increase over the period relative to the increase over as many months just before."""
    n = last - first + 1
    now = _increase(series, first, last)
    if first - n < 0:
        return np.full(series.shape[1], np.nan)
    before = _increase(series, first - n, first - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(before > 0, now / np.where(before > 0, before, 1.0), np.inf)


STATISTICS: dict[str, Callable[[np.ndarray, int, int], np.ndarray]] = {
    "sum": _sum,
    "annual_rate": _annual_rate,
    "value": _value,
    "increase": _increase,
    "any": _any,
    "count": _count,
    "growth": _growth,
    "mean": _mean,
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


# goods variables computed from recorded ones: a stock-out (model.engine.outcomes.stockout_mask, 1/0)
# and months of cover (stock / demand), for the record's stock claims (M4, G13)
DERIVED_VARIABLES = ("stockout", "cover")
# run variables computed from the recorded ones: the share of the tonnage bound for Germany
# from third parties that the blockade took (losses / (losses + arrivals), per month)
DERIVED_RUN_VARIABLES = ("blockade_cut_share",)


def recorded_variables() -> dict[str, int]:
    """Every variable a target may name, with its rank (goods variables 3, run variables 2)."""
    from model.engine.variables import GOODS_VARIABLES, RUN_VARIABLES

    out = {name: 3 for name in (*GOODS_VARIABLES, *DERIVED_VARIABLES)}
    out.update({name: 2 for name in (*RUN_VARIABLES, *DERIVED_RUN_VARIABLES)})
    out["imports"] = 4
    return out


# ---------------------------------------------------------------------------------------
# the schema of a targets file, with the scenario schema's node types
# ---------------------------------------------------------------------------------------
def _good_and_supplier(table: Mapping[str, Any], where: str, ctx: Context) -> None:
    """``good`` for a per-good variable only, ``supplier`` for imports only."""
    variable = table["variable"]
    per_good = variable in ctx.names["per-good variables"]
    if per_good and "good" not in table:
        ctx.fail(
            _join(where, "good"),
            f"missing; {_show(variable)} is recorded per good: expected one of "
            f"{', '.join(ctx.names['goods'])}",
        )
    if not per_good and "good" in table:
        ctx.fail(
            _join(where, "good"),
            f"expected no good: {_show(variable)} is recorded per run, not per good",
        )
    if variable == "imports" and "supplier" not in table:
        ctx.fail(
            _join(where, "supplier"),
            f"missing; imports are recorded by supplier: expected one of "
            f"{', '.join(ctx.names['suppliers'])}",
        )
    if variable != "imports" and "supplier" in table:
        ctx.fail(
            _join(where, "supplier"),
            "expected no supplier: only the 'imports' variable is recorded by supplier",
        )


def _valued_good(table: Mapping[str, Any], where: str, ctx: Context) -> None:
    if table.get("value_in") == "rm" and "good" not in table:
        ctx.fail(
            _join(where, "value_in"),
            "expected a 'good' with value_in = \"rm\" (it values a good at its price)",
        )


def _band_or_tolerance(table: Mapping[str, Any], where: str, ctx: Context) -> None:
    """An explicit band, or a tolerance (the target's own or its tag's in [tolerance])."""
    tag = table["tag"]
    if "band" in table:
        low, high = table["band"]
        if not low <= high:
            ctx.fail(
                _join(where, "band"), f"expected [low, high] with low <= high, got [{low}, {high}]"
            )
    elif tag in BOUND_ONLY_TAGS:
        ctx.fail(
            _join(where, "band"),
            f"missing; a [{tag}] figure is a bound only: expected an explicit band = [low, high]",
        )
    elif "tolerance" not in table and tag not in ctx.names["tolerance tags"]:
        ctx.fail(
            _join(where, "tolerance"),
            f"missing; expected a tolerance: [tolerance] has none for tag [{tag}] (it has "
            f"{', '.join(ctx.names['tolerance tags']) or 'none'})",
        )


def _scenario_file(table: Mapping[str, Any], where: str, ctx: Context) -> None:
    if "scenario" in table and not _beside(ctx.path, table["scenario"]).is_file():
        ctx.fail(
            _join(where, "scenario"),
            f"expected a scenario file, relative to the targets file, got {_show(table['scenario'])}: "
            f"there is no {_beside(ctx.path, table['scenario'])}",
        )


def _beside(targets_path: Path, name: str) -> Path:
    """A scenario named in a targets file: a path relative to it, ``.toml`` optional."""
    return targets_path.parent / (name if name.endswith(".toml") else f"{name}.toml")


TARGET = Table(
    {
        "id": Name(),
        "description": Text(),
        "variable": Ref("variables", "recorded variable"),
        "statistic": Choice(tuple(STATISTICS), "statistic"),
        "good": Ref("goods", "good"),
        "supplier": Ref("suppliers", "supplier"),
        "from": Month(in_window=True),
        "to": Month(in_window=True),
        "value_in": Choice(("units", "rm"), "valuation"),
        "unit": Choice(tuple(UNITS), "unit"),
        "record": Number(),
        "tag": Choice(TAGS, "reliability tag"),
        "rows": ListOf(
            Text(non_empty=True, what='a history row, e.g. "row 63" or "O17"'), min_len=1
        ),
        "tolerance": Number(low=0),
        "band": ListOf(Number(), min_len=2, max_len=2, what="[low, high]"),
        "summary": Choice(SUMMARIES, "summary"),
        "note": Text(),
        "role": Choice(ROLES, "role"),
        "scenario": Text(non_empty=True, what="the path of a scenario file"),
    },
    required=(
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
    ),  # fmt: skip
    rules=(_good_and_supplier, _valued_good, ordered(), _band_or_tolerance, _scenario_file),
)
TARGETS_FILE = Table(
    {
        "scenario": Text(non_empty=True, what="the name of a scenario"),
        "title": Text(),
        "tolerance": MapOf(
            Choice(TAGS, "tag"), Number(low=0), what="a table of tag = relative tolerance"
        ),
        "target": ListOf(TARGET, min_len=1, distinct="id", what="one or more [[target]] tables"),
    },
    required=("target",),
    first=("scenario", "title", "tolerance"),
)


def _target(table: Mapping[str, Any], tolerance: Mapping[str, float], path: Path) -> Target:
    """A checked ``[[target]]`` table as a Target (display units)."""
    record = float(table["record"])
    if "band" in table:
        low, high = (float(b) for b in table["band"])
    else:
        tol = float(table["tolerance"]) if "tolerance" in table else tolerance[table["tag"]]
        low, high = record - tol * abs(record), record + tol * abs(record)
    scenario = table.get("scenario")
    return Target(
        id=str(table["id"]),
        description=str(table["description"]),
        variable=table["variable"],
        statistic=table["statistic"],
        first=table["from"],
        last=table["to"],
        unit=table["unit"],
        record=record,
        low=low,
        high=high,
        tag=table["tag"],
        rows=tuple(table["rows"]),
        good=table.get("good"),
        supplier=table.get("supplier"),
        value_in=table.get("value_in", "units"),
        summary=table.get("summary", "median"),
        note=str(table.get("note", "")),
        role=table["role"],
        scenario=None if scenario is None else str(resolve_path(_beside(path, scenario))),
    )


def load_targets(path: str | Path, scenario: Scenario) -> list[Target]:
    """Read and check a targets file against the scenario it validates."""
    path = Path(path)
    data = read_toml(path)
    variables = recorded_variables()
    tolerance = data.get("tolerance")
    names = {
        "variables": tuple(sorted(variables)),
        "per-good variables": tuple(v for v, rank in variables.items() if rank >= 3),
        "goods": tuple(scenario.get("goods")),
        "suppliers": (*tuple(scenario.get("suppliers")), "soviet_union"),
        "tolerance tags": tuple(tolerance) if isinstance(tolerance, Mapping) else (),
    }
    window = (parse_month(scenario.get("window.start")), parse_month(scenario.get("window.end")))
    TARGETS_FILE.check(data, "", Context(path, window, names))
    tolerances = {tag: float(v) for tag, v in (tolerance or {}).items()}
    return [_target(t, tolerances, path) for t in data["target"]]


def scenario_path(targets_path: str | Path) -> Path:
    """The scenario a targets file validates (its ``scenario`` key, beside the file)."""
    targets_path = Path(targets_path)
    data = read_toml(targets_path)
    name = data.get("scenario", "baseline")
    TARGETS_FILE.fields["scenario"].check(name, "scenario", Context(targets_path))
    return _beside(targets_path, name)


# ---------------------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------------------
class _Series:
    """(month, run) series of a result, by variable, good and supplier."""

    def __init__(self, result: RunResult):
        self.result = result
        self._imports: Any = None  # the imports DataArray, read on first use

    def _blockade_cut_share(self) -> np.ndarray:
        """Per month (T, R): tonnage lost to the blockade over tonnage loaded for Germany by
        third parties (lost + arrived from every origin but the USSR, whose routes are not
        exposed)."""
        from model.world.goods import GoodsCatalogue

        r = self.result
        tonnes = GoodsCatalogue.from_table(r.scenario.get("goods")).tonnes_per_unit
        lost = (np.asarray(r.trajectory["losses"], dtype=float) * tonnes).sum(axis=-1)
        arrived = r.imports().astype(float) * tonnes  # (T, origin, R, G)
        others = [i for i, o in enumerate(r.origins) if o != "soviet_union"]
        arrived = arrived[:, others].sum(axis=(1, 3))
        with np.errstate(divide="ignore", invalid="ignore"):
            total = lost + arrived
            return np.where(total > 0, lost / np.where(total > 0, total, 1.0), 0.0)

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
        elif target.variable == "blockade_cut_share":
            series = self._blockade_cut_share()
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


def scenario_targets(scenario_file: str | Path) -> Path | None:
    """A scenario's own targets file beside the default one (``targets_<name>.toml``), if any:
    the pre-pact targets of ``long_baseline``, read after the pact-era ones."""
    own = DEFAULT_TARGETS.with_name(f"targets_{Path(scenario_file).stem}.toml")
    return own if own.is_file() else None


def validate(
    targets_path: str | Path = DEFAULT_TARGETS,
    n_runs: int = DEFAULT_RUNS,
    seed: int = DEFAULT_SEED,
    scenario_file: str | Path | None = None,
    extra_targets: Sequence[str | Path] = (),
) -> list[TargetResult]:
    """Run the scenario with its uncertainty (Monte Carlo) and compare it with the record.

    ``extra_targets``: further targets files evaluated on the same run (their own
    ``scenario`` key is not read: they are checked against ``scenario_file``)."""
    from model.engine.runner import simulate
    from model.files.scenario import load

    scenario = load(scenario_file if scenario_file is not None else scenario_path(targets_path))
    targets = load_targets(targets_path, scenario)
    for extra in extra_targets:
        targets += load_targets(extra, scenario)
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
