"""Outcomes of a run: the per-run numbers users compare across scenarios (DESIGN.md §8).

From a :class:`~model.runner.RunResult` this builds one tidy table, one row per run:

- ``param__<key path>``: the run's value of each uncertain parameter (``.`` of the path as
  ``__``, ``[i]`` as ``_i``; see :func:`param_column`), months as ``YYYY-MM`` texts;
- ``stockout_<good>``: the first month (``YYYY-MM``) the German stock of a good ran out
  (below ``STOCKOUT_SHARE`` of that month's demand), or null if it did not;
- ``cover_<good>_<YYYY_MM>``: months of cover (stock / demand) at the key dates;
- ``shortage_<good>``: cumulative unmet demand over the window (good's unit);
- ``war_readiness_<YYYY_MM>``: the share of military demand for the critical goods met;
- ``civil_cut_mean_<good>``, ``civil_cut_max_<good>``: depth of civil rationing -- the share
  of civil demand not consumed (reserve rules, cover rationing, substitution and plain
  shortage together), averaged over the window and in its deepest month;
- ``military_short_months`` (any critical good) and ``military_short_months_<good>``: months
  in which military use fell below military demand (by more than ``MILITARY_SHORT_SHARE``);
- ``military_oil_met_after_<YYYY_MM>``: the share of military oil demand met from the month
  after the invasion date on (``INVASION_DATE``; 1.0 where there was no demand);
- ``imports_rm_<origin>``, ``imports_<origin>_<good>``: cumulative arrivals by supplier;
- ``soviet_to_invasion_<good>``: Soviet deliveries up to and including 1941-06;
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
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from model.world.calendar import format_month
from model.world.distributions import is_month_distribution

if TYPE_CHECKING:
    from model.engine.runner import RunResult

STOCKOUT_SHARE = 0.01
KEY_DATES = ("1940-06", "1941-06", "1942-06")
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
    "military_demand", "military_use", "civil_demand", "civil_use",
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
    table = result.scenario.get("goods", {}) or {}
    critical = [g for g in raw if (table.get(goods[g]) or {}).get("critical", False)] or raw
    cols["military_short_months"] = short[:, :, critical].any(axis=2).sum(axis=0)
    for g in critical:
        cols[f"military_short_months_{goods[g]}"] = short[:, :, g].sum(axis=0)
    t = _month_index(months, INVASION_DATE)
    if t is not None and "oil" in goods:
        o = goods.index("oil")
        demand_after, used_after = need[t + 1 :, :, o].sum(axis=0), use[t + 1 :, :, o].sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            cols[f"military_oil_met_after_{label(INVASION_DATE)}"] = np.where(
                demand_after > 0, used_after / np.where(demand_after > 0, demand_after, 1.0), 1.0
            )
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
    shortage = tr["shortage"].sum(axis=0)
    for g in raw:
        cols[f"shortage_{goods[g]}"] = shortage[:, g]
    cols["war_readiness_mean"] = tr["war_readiness"].mean(axis=0)
    cols.update(_rationing_and_military(result, raw))
    imports = result.imports().sum(axis=0, dtype=np.float64)  # (origin, run, good)
    price = result.prices
    for s, origin in enumerate(result.origins):
        # a row-wise sum, not `@`: BLAS sums in an order that depends on the number of
        # rows, so the last bits would depend on the chunking (DESIGN.md §6)
        cols[f"imports_rm_{origin}"] = (imports[s] * price).sum(axis=1)
        for g in raw:
            cols[f"imports_{origin}_{goods[g]}"] = imports[s, :, g]
    cut = _month_index(months, SOVIET_CUTOFF)
    soviet = tr["soviet_deliveries"][: (cut + 1 if cut is not None else None)].sum(axis=0)
    for g in raw:
        cols[f"soviet_to_invasion_{goods[g]}"] = soviet[:, g]
    cols["soviet_to_invasion_rm"] = (soviet * price).sum(axis=1)
    cols["clearing_balance_rm"] = tr["clearing_balance_rm"][-1]
    for date in ARREARS_DATES:
        t = _month_index(months, date)
        cols[f"arrears_rm_{label(date)}"] = blank[:, 0] if t is None else tr["arrears_rm"][t]
    cols["arrears_rm_max"] = tr["arrears_rm"].max(axis=0)
    cols["suspension_months"] = tr["suspended"].sum(axis=0)
    cols["first_suspension"] = first_month(tr["suspended"] > 0, months)
    cols["soviet_machinery_rm"] = tr["soviet_machinery_rm"][-1].sum(axis=1)
    cols["transit_t"] = tr["transit_t"].sum(axis=0)
    return typed(pd.DataFrame(cols))


def typed(table: pd.DataFrame) -> pd.DataFrame:
    """Every column in its schema dtype whatever values happen to be present: text (months:
    ``stockout_*``, ``first_suspension``, month parameters; ``scenario``) as strings, null
    where missing; counts (``replication``, ``suspension_months``,
    ``military_short_months*``) int64; numbers float64."""
    out = {}
    for name in table.columns:
        col = table[name]
        if col.dtype == object or pd.api.types.is_string_dtype(col):
            out[name] = col.astype("string")
        elif str(name).startswith(COUNT_COLUMNS) and not col.isna().any():
            out[name] = col.to_numpy(np.int64)
        else:
            out[name] = col.to_numpy(np.float64)
    return pd.DataFrame(out, index=table.index)


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
