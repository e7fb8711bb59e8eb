"""Outcomes of a run: the per-run numbers users compare across scenarios (docs/architecture.md §8).

From a :class:`~model.engine.runner.RunResult` this builds one tidy table, one row per run:

- ``param__<key path>``: the run's value of each uncertain parameter (``.`` of the path as
  ``__``, ``[i]`` as ``_i``; see :func:`param_column`), months as ``YYYY-MM`` texts;
- ``stockout_<good>``: the first month (``YYYY-MM``) the German stock of a good ran out
  (below ``STOCKOUT_SHARE`` of that month's demand), or null if it did not;
- ``cover_<good>_<YYYY_MM>``: months of cover (stock / demand) at the key dates;
- ``stock_<good>_<YYYY_MM>``: the German stock at the end of the month, at ``STOCK_DATES``;
- ``credit_drawn_rm_<YYYY_MM>``, ``soviet_debt_rm_<YYYY_MM>``: German deliveries financed by
  credit lines so far, and the Soviet debt they created with interest, at ``STOCK_DATES``;
- ``campaign_cover_<good>_invasion``, ``campaign_cover_min_invasion``: months of the Russian
  campaign's military requirement (military demand in the first month after each run's
  invasion month, at the eastern-war multipliers) that the stock on the eve of that
  invasion (end of the month before it) covers, per critical good and the smallest of
  them (null where there is no invasion in the window); ``campaign_cover_<good>_1941_06``,
  ``campaign_cover_min_1941_06``: the same at the historical date, whatever the scenario's;
- ``shortage_<good>``: cumulative unmet demand over the window (good's unit);
- ``war_readiness_<YYYY_MM>``: the share of military demand for the critical goods met;
- ``civil_cut_mean_<good>``, ``civil_cut_max_<good>``: depth of civil rationing -- the share
  of civil demand not consumed (reserve rules, cover rationing, substitution and plain
  shortage together), averaged over the window and in its deepest month;
- ``military_short_months`` (any critical good) and ``military_short_months_<good>``: months
  in which military use fell below military demand (by more than ``MILITARY_SHORT_SHARE``);
- ``military_oil_met_after_<YYYY_MM>``: the share of military oil demand met from the month
  after the historical invasion date on (``INVASION_DATE``; 1.0 where there was no demand),
  and ``military_oil_met_after_invasion``: the same from the month after each run's own
  invasion month (``events.invasion``; 1.0 where there is none);
- ``imports_rm_<origin>``, ``imports_<origin>_<good>``: cumulative arrivals by supplier;
- ``soviet_to_invasion_<good>``, ``soviet_to_invasion_rm``: Soviet deliveries up to and
  including each run's invasion month (the whole window where there is none), and
  ``soviet_to_<YYYY_MM>_<good>``, ``soviet_to_<YYYY_MM>_rm``: up to the fixed
  ``SOVIET_CUTOFF`` (1941-06, the end of Sipols' list), whatever the scenario's invasion;
- ``clearing_balance_rm``, ``arrears_rm_<YYYY_MM>``, ``arrears_rm_max``,
  ``suspension_months``, ``first_suspension``, ``soviet_machinery_rm``.

The schema is fixed by the goods catalogue, the suppliers and the key dates, never by the
values (:func:`to_arrow`): names of letters, digits and ``_`` only (a date ``YYYY-MM`` in a
name is written ``YYYY_MM``), months as text (``string``, null where never), counts as
int64, everything else float64 -- never Arrow's ``null`` type. :func:`column_name` maps
the names of folders written before issue 13 (``cover_oil_1941-06``, ``param:a.b``) to
today's.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from model.world.calendar import format_month, parse_month
from model.world.distributions import central, is_distribution, is_month_distribution
from model.world.goods import critical_goods
from model.world.parameters import NEVER

if TYPE_CHECKING:
    from model.engine.runner import RunResult

STOCKOUT_SHARE = 0.01
KEY_DATES = ("1940-06", "1941-06", "1942-06")
# German stocks at the outbreak of war and on the eve of Barbarossa (issue 19: the 1930s
# counterfactuals are read at both); a date outside a scenario's window is left out
STOCK_DATES = ("1939-09", "1941-06")
ARREARS_DATES = ("1940-08", "1941-02")
SOVIET_CUTOFF = "1941-06"
INVASION_DATE = "1941-06"  # military oil is counted from the month after (Barbarossa, 22 Jun 1941)
MILITARY_SHORT_SHARE = (
    0.01  # a month counts as short when more than 1 % of military demand is unmet
)
# the trajectory variables the outcome table reads (a batch records at least these)
OUTCOME_VARIABLES = (
    "stock", "demand", "shortage", "imports", "soviet_deliveries", "soviet_machinery_rm",
    "clearing_balance_rm", "arrears_rm", "suspended", "transit_t", "war_readiness",
    "military_demand", "military_use", "civil_demand", "civil_use", "credit_drawn_rm",
    "soviet_debt_rm",
)  # fmt: skip  # Barbarossa, 22 Jun 1941: rows 63-72 run to this date


PARAM_PREFIX = "param__"
COUNT_COLUMNS = ("replication", "suspension_months", "military_short_months")
_DATED = re.compile(r"(\d{4})-(\d{2})")


def label(month: str) -> str:
    """A ``YYYY-MM`` month as it appears in a column name: ``YYYY_MM``."""
    return month.replace("-", "_")


def param_column(path: str) -> str:
    """The column of an uncertain parameter: ``a.b[2].c`` -> ``param__a__b_2__c``."""
    return PARAM_PREFIX + path.replace("[", "_").replace("]", "").replace(".", "__")


def column_name(name: str) -> str:
    """Today's name of an outcome column (or fnmatch pattern) named before issue 13."""
    if name.startswith("param:"):
        return param_column(name[len("param:") :])
    return _DATED.sub(r"\1_\2", name)


def first_month(mask: np.ndarray, months: list[str]) -> list[str | None]:
    """First month (axis 0) where ``mask`` is true, per run; None where never."""
    any_ = np.asarray(mask.any(axis=0)).tolist()
    first = np.asarray(mask.argmax(axis=0)).tolist()
    return [months[i] if hit else None for i, hit in zip(first, any_, strict=True)]


def stockout_mask(stock: np.ndarray, demand: np.ndarray) -> np.ndarray:
    return (demand > 0) & (stock < STOCKOUT_SHARE * demand)


def _month_index(months: list[str], label: str) -> int | None:
    return months.index(label) if label in months else None


INVASION = "events.invasion"


def invasion_steps(result: RunResult) -> np.ndarray:
    """Each run's invasion month as a step of the window (int, shape (R,)): the number of
    months where there is no invasion or it falls after the window, -1 before it."""
    n = len(result.months)
    if INVASION in result.parameters:
        index = np.rint(np.asarray(result.parameters[INVASION], dtype=float)).astype(np.int64)
    else:
        value = result.scenario.get(INVASION)
        value = central(value) if is_distribution(value) else value
        index = np.full(
            len(result.replications), NEVER if value == "none" else parse_month(str(value))
        )
    step = index - parse_month(result.months[0])
    return np.clip(step, -1, n)


def sum_to(series: np.ndarray, last: np.ndarray, after: bool = False) -> np.ndarray:
    """``series[: last[r] + 1, r].sum(axis=0)`` per run ``r`` (series (T, R, ...)), or with
    ``after`` the months after ``last[r]``: one slice sum per distinct month, so a run's sum
    is the one a fixed cut-off gives, bit for bit."""
    out = np.zeros(series.shape[1:], dtype=series.dtype)
    for t in np.unique(last):
        runs = last == t
        months = slice(int(t) + 1, None) if after else slice(0, max(int(t) + 1, 0))
        out[runs] = series[months][:, runs].sum(axis=0)
    return out


def critical_indices(result: RunResult, raw: list[int]) -> list[int]:
    """The catalogue's critical goods (``critical = true``) as indices, in goods order; every
    raw good where the catalogue marks none (a small test scenario)."""
    critical = set(critical_goods(result.scenario.data["goods"]))  # required by the schema
    return [g for g in raw if result.goods[g] in critical] or raw


def _rationing_and_military(result: RunResult, raw: list[int]) -> dict[str, object]:
    """Outcomes that discriminate between runs where war readiness alone does not (issue 12)."""
    tr, months, goods = result.trajectory, result.months, result.goods
    cols: dict[str, object] = {}
    civil_demand = tr["civil_demand"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cut = np.where(
            civil_demand > 0,
            1.0 - tr["civil_use"] / np.where(civil_demand > 0, civil_demand, 1.0),
            np.nan,
        )
    cut = np.clip(cut, 0.0, 1.0)
    for g in raw:  # every raw good, NaN where it has no civil demand: a fixed schema
        some = (civil_demand[:, :, g] > 0).any(axis=0)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # the mean of no month: NaN
            mean = np.nanmean(np.where(civil_demand[:, :, g] > 0, cut[:, :, g], np.nan), axis=0)
        cols[f"civil_cut_mean_{goods[g]}"] = mean
        cols[f"civil_cut_max_{goods[g]}"] = np.where(
            some, np.nanmax(np.where(civil_demand[:, :, g] > 0, cut[:, :, g], 0.0), axis=0), np.nan
        )
    need, use = tr["military_demand"].astype(float), tr["military_use"].astype(float)
    short = need - use > MILITARY_SHORT_SHARE * need
    critical = critical_indices(result, raw)
    cols["military_short_months"] = short[:, :, critical].any(axis=2).sum(axis=0)
    for g in critical:
        cols[f"military_short_months_{goods[g]}"] = short[:, :, g].sum(axis=0)
    if "oil" in goods:
        o = goods.index("oil")
        t = _month_index(months, INVASION_DATE)
        cols[f"military_oil_met_after_{label(INVASION_DATE)}"] = (
            np.full(need.shape[1], np.nan)  # the date outside the window: a null column
            if t is None
            else _met(need[t + 1 :, :, o].sum(axis=0), use[t + 1 :, :, o].sum(axis=0))
        )
        last = invasion_steps(result)  # after each run's own invasion month
        cols["military_oil_met_after_invasion"] = _met(
            sum_to(need[:, :, o], last, after=True), sum_to(use[:, :, o], last, after=True)
        )
    return cols


def _met(demand: np.ndarray, used: np.ndarray) -> np.ndarray:
    """The share of ``demand`` that was ``used``; 1.0 where there was no demand."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(demand > 0, used / np.where(demand > 0, demand, 1.0), 1.0)


def _stocks_on_dates(result: RunResult, raw: list[int]) -> dict[str, object]:
    """German stocks, and the credit side of the clearing, at ``STOCK_DATES`` in the window."""
    tr, months, goods = result.trajectory, result.months, result.goods
    cols: dict[str, object] = {}
    nan = np.full(len(result.replications), np.nan)  # a date outside the window: null columns
    for date in STOCK_DATES:
        t = _month_index(months, date)
        for g in raw:
            cols[f"stock_{goods[g]}_{label(date)}"] = nan if t is None else tr["stock"][t, :, g]
        for name in ("credit_drawn_rm", "soviet_debt_rm"):  # 1935 and 1939 lines
            cols[f"{name}_{label(date)}"] = nan if t is None else tr[name][t]
    return cols


def _campaign_cover(result: RunResult, raw: list[int]) -> dict[str, object]:
    """Months of the campaign's military requirement the eve-of-invasion stock covers.

    The requirement is the military demand of the first month after the invasion month (the
    eastern-war phase: for oil O35's campaign use, ``germany.war_phases.good_multipliers``);
    the stock is the one at the end of the month before it. Unlike war readiness (military
    use met, ~1 in every run until stocks are gone) it measures how far the stocks would
    carry the campaign, so a pre-war or pact counterfactual moves it. ``_invasion``: at each
    run's own invasion month (``events.invasion``; null where there is none in the window);
    ``_1941_06``: at ``INVASION_DATE`` whatever the scenario's, as before.
    """
    tr, months, goods = result.trajectory, result.months, result.goods
    n, runs = len(months), np.arange(len(result.replications))
    critical = critical_indices(result, raw)
    at_date = _month_index(months, INVASION_DATE)
    cols: dict[str, object] = {}
    for name, t in (
        ("invasion", invasion_steps(result)),
        (label(INVASION_DATE), np.full(len(runs), -1 if at_date is None else at_date)),
    ):
        inside = (t >= 1) & (t + 1 < n)  # outside the window: null, the schema stays fixed
        ti = np.where(inside, t, 1)
        need = np.where(inside[:, None], tr["military_demand"][ti + 1, runs].astype(float), 0.0)
        stock = tr["stock"][ti - 1, runs].astype(float)
        covers = []
        for g in critical:
            with np.errstate(divide="ignore", invalid="ignore"):
                cover = np.where(
                    need[:, g] > 0, stock[:, g] / np.where(need[:, g] > 0, need[:, g], 1.0), np.nan
                )
            cols[f"campaign_cover_{goods[g]}_{name}"] = cover
            covers.append(cover)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # every good without demand: NaN
            cols[f"campaign_cover_min_{name}"] = np.nanmin(np.vstack(covers), axis=0)
    return cols


def outcomes_table(result: RunResult) -> pd.DataFrame:
    tr, months, goods = result.trajectory, result.months, result.goods
    cols: dict[str, object] = {"replication": result.replications}
    specs: Mapping[str, Mapping] = dict(result.scenario.uncertain())
    for path, values in result.parameters.items():
        month = path in specs and is_month_distribution(specs[path])
        cols[param_column(path)] = [format_month(round(v)) for v in values] if month else values
    stock, demand = tr["stock"], tr["demand"]
    out = stockout_mask(stock, demand)
    raw = [i for i, u in enumerate(result.units) if u != "RM"]
    for g in raw:
        cols[f"stockout_{goods[g]}"] = first_month(out[:, :, g], months)
    blank = np.full(stock.shape[1:], np.nan)  # a key date outside the window: its columns null
    for date in KEY_DATES:  # the columns follow from the dates, never from the window
        t = _month_index(months, date)
        with np.errstate(divide="ignore", invalid="ignore"):
            cover = (
                blank
                if t is None
                else np.where(
                    demand[t] > 0, stock[t] / np.where(demand[t] > 0, demand[t], 1.0), np.nan
                )
            )
        for g in raw:
            cols[f"cover_{goods[g]}_{label(date)}"] = cover[:, g]
        cols[f"war_readiness_{label(date)}"] = blank[:, 0] if t is None else tr["war_readiness"][t]
    cols.update(_stocks_on_dates(result, raw))
    cols.update(_campaign_cover(result, raw))
    shortage = tr["shortage"].sum(axis=0)
    for g in raw:
        cols[f"shortage_{goods[g]}"] = shortage[:, g]
    cols["war_readiness_mean"] = tr["war_readiness"].mean(axis=0)
    cols.update(_rationing_and_military(result, raw))
    imports = result.imports().sum(axis=0, dtype=np.float64)  # (origin, run, good)
    price = result.prices
    for s, origin in enumerate(result.origins):
        # a row-wise sum, not `@`: BLAS sums in an order that depends on the number of
        # rows, so the last bits would depend on the chunking (docs/architecture.md §6)
        cols[f"imports_rm_{origin}"] = (imports[s] * price).sum(axis=1)
        for g in raw:
            cols[f"imports_{origin}_{goods[g]}"] = imports[s, :, g]
    deliveries = tr["soviet_deliveries"]
    cut = _month_index(months, SOVIET_CUTOFF)
    for name, soviet in (
        ("invasion", sum_to(deliveries, invasion_steps(result))),
        (label(SOVIET_CUTOFF), deliveries[: (cut + 1 if cut is not None else None)].sum(axis=0)),
    ):
        for g in raw:
            cols[f"soviet_to_{name}_{goods[g]}"] = soviet[:, g]
        cols[f"soviet_to_{name}_rm"] = (soviet * price).sum(axis=1)
    cols["clearing_balance_rm"] = tr["clearing_balance_rm"][-1]
    for date in ARREARS_DATES:
        t = _month_index(months, date)
        cols[f"arrears_rm_{label(date)}"] = blank[:, 0] if t is None else tr["arrears_rm"][t]
    cols["arrears_rm_max"] = tr["arrears_rm"].max(axis=0)
    cols["suspension_months"] = tr["suspended"].sum(axis=0)
    cols["first_suspension"] = first_month(tr["suspended"] > 0, months)
    cols["soviet_machinery_rm"] = tr["soviet_machinery_rm"][-1].sum(axis=1)
    cols["transit_t"] = tr["transit_t"].sum(axis=0)
    return typed_columns(cols)


def typed_columns(cols: Mapping[str, Any]) -> pd.DataFrame:
    """``typed(pd.DataFrame(cols))`` without the untyped frame first (a one-run table has
    ~450 columns, each a Series there): numeric 1-d arrays go straight into their float64
    (or count) columns; every other value through pandas' own inference, as before."""
    numeric = {
        name: v
        for name, v in cols.items()
        if isinstance(v, np.ndarray) and v.ndim == 1 and v.dtype.kind in "biuf"
    }
    lengths = {len(v) for v in numeric.values()}
    if len(lengths) != 1:
        return typed(pd.DataFrame(cols))  # no numbers, or lengths pandas will refuse
    index = pd.RangeIndex(lengths.pop())
    counts = [
        name
        for name, v in numeric.items()
        if str(name).startswith(COUNT_COLUMNS) and not (v.dtype.kind == "f" and np.isnan(v).any())
    ]
    numbers = [name for name in numeric if name not in counts]
    parts: list[pd.DataFrame | pd.Series] = [
        pd.Series(numeric[name].astype(np.int64), index=index, name=name) for name in counts
    ]
    if numbers:
        block = np.column_stack([numeric[name].astype(np.float64) for name in numbers])
        parts.append(pd.DataFrame(block, columns=numbers, index=index))
    rest = {name: v for name, v in cols.items() if name not in numeric}
    if rest:
        parts.append(typed(pd.DataFrame(rest, index=index)))
    return pd.concat(parts, axis=1)[list(cols)]


def typed(table: pd.DataFrame) -> pd.DataFrame:
    """Every column in its schema dtype whatever values happen to be present: text (months:
    ``stockout_*``, ``first_suspension``, month parameters; ``scenario``) as strings, null
    where missing; counts (``replication``, ``suspension_months``,
    ``military_short_months*``) int64; numbers float64."""
    text, counts, numbers = [], [], []
    for name, dtype in table.dtypes.items():
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            text.append(name)
        elif str(name).startswith(COUNT_COLUMNS) and not table[name].isna().any():
            counts.append(name)
        else:
            numbers.append(name)
    # the numbers as one float64 block (one conversion, not one Series per column: a
    # one-run table has ~450 columns), then every column back in its place
    parts = [pd.DataFrame(table[numbers].to_numpy(np.float64), columns=numbers, index=table.index)]
    parts += [table[name].astype("string") for name in text]
    parts += [
        pd.Series(table[name].to_numpy(np.int64), index=table.index, name=name) for name in counts
    ]
    return pd.concat(parts, axis=1)[list(table.columns)]


def to_arrow(table: pd.DataFrame) -> pa.Table:
    """The outcome rows as written: utf8 text, int64 counts, float64 numbers, no metadata."""
    table = typed(table)
    fields = []
    for name in table.columns:
        col = table[name]
        if pd.api.types.is_string_dtype(col):
            kind = pa.string()
        elif col.dtype.kind == "i":
            kind = pa.int64()
        else:
            kind = pa.float64()
        fields.append(pa.field(str(name), kind))
    arrays = [
        pa.array(table[f.name].astype(object).where(table[f.name].notna(), None), type=f.type)
        if f.type == pa.string()
        else pa.array(table[f.name].to_numpy(), type=f.type)
        for f in fields
    ]
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))
