"""CF metadata of ``trajectories.nc``: units and long names, the time axis, the file layout.

One layout for ``pactsim run`` and ``pactsim batch`` (issue 13): dims ``scenario``, ``run``,
``month`` and, where a variable has them, ``supplier`` and ``good``; float32 trajectories;
``month`` a real time coordinate (the first day of each month, CF-encoded as days since the
first month) with its ``YYYY-MM`` text beside it as the coordinate ``month_label``; every
variable with ``units`` and ``long_name``; global ``Conventions = "CF-1.10"``, ``title``,
``source``, ``history``. Every variable has ONE UDUNITS unit: a variable by good whose units
follow the goods' (stocks and flows) is written as one variable per unit of the catalogue --
the goods in tonnes under its name on the dimension ``good_t`` (``stock``, units ``t``),
platinum as ``<name>_kg`` on ``good_kg`` (``kg``), the German counter-deliveries valued in
Reichsmarks as ``<name>_rm`` on ``good_rm`` (:func:`file_variables`); :func:`joined` puts
them back on the one ``good`` axis for readers. Money (the ``*_rm`` series,
``price_rm_per_unit``) is ``units = "1"`` with ``currency = "RM"`` (:data:`CURRENCY`), the
Reichsmark being no UDUNITS unit.
``binding`` carries CF ``flag_values`` / ``flag_meanings`` from
:data:`model.actors.soviet_policy.BINDING`.

:func:`month_labels` gives the ``YYYY-MM`` texts of any dataset's month axis (old files
with a text ``month`` included): readers use it instead of ``ds["month"].values``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from model.actors.soviet_policy import BINDING
from model.engine.variables import (
    CODE,
    FLAG,
    FLOW,
    LEVEL,
    RM,
    RM_FLOW,
    SHARE,
    TONNES_FLOW,
    UNIT_DIMS,
    VARIABLES,
    base_name,
    unit_of,
)

CONVENTIONS = "CF-1.10"
TITLE = "pactsim trajectories: German-Soviet trade under the blockade, 1939-1941"
SOURCE = "pactsim, an agent-based model (Mesa), vectorised over Monte Carlo runs"
FILE_DTYPE = np.float32  # what the model records (model.engine.simulation.TRAJECTORY_DTYPE)
CALENDAR = "proleptic_gregorian"

# Money has no UDUNITS unit: a value in Reichsmarks is a number (units "1") with its currency
# named beside it (docs/glossary.md, "units in trajectories.nc").
CURRENCY = {"currency": "RM", "currency_name": "Reichsmark (German mark, 1924-1948)"}


def _per_month(unit: str, kind: str) -> str:
    return f"{unit} month-1" if kind in (FLOW, RM_FLOW, TONNES_FLOW) else unit


def units_text(kind: str, goods: Sequence[str], units: Sequence[str]) -> str:
    """The CF ``units`` of a variable of this kind, given the goods' units (if by good)."""
    if kind in (SHARE, FLAG, CODE):
        return "1"
    if kind in (RM, RM_FLOW):  # the Reichsmark is no UDUNITS unit: see CURRENCY
        return _per_month("1", kind) if kind == RM_FLOW else "1"
    if kind == TONNES_FLOW:
        return _per_month("t", kind)
    by_unit: dict[str, list[str]] = {}
    for good, unit in zip(goods, units, strict=True):  # RM: a number with a currency
        by_unit.setdefault("1" if unit == "RM" else unit, []).append(good)
    if not by_unit:
        return _per_month("t", kind)
    main, *others = sorted(by_unit, key=lambda u: -len(by_unit[u]))
    text = _per_month(main, kind)
    if others:
        rest = "; ".join(f"{_per_month(u, kind)}: {', '.join(by_unit[u])}" for u in others)
        text += f" ({rest})"
    return text


def file_attrs(name: str, unit: str, dtype: Any = FILE_DTYPE) -> dict[str, Any]:
    """The attributes of a file variable of :func:`file_variables` (``unit``: of its goods)."""
    if not unit:
        return variable_attrs(name, [], [], dtype)
    base = name.removesuffix(UNIT_DIMS[unit][1])
    attrs = variable_attrs(base, ["_"], [unit], dtype)
    attrs["long_name"] = f"{attrs['long_name']} (goods in {unit})"
    return attrs


def joined(ds: xr.Dataset) -> xr.Dataset:
    """A file's per-unit variables back on the one ``good`` axis, in the catalogue's order
    (lazily: each scenario one dask chunk); a file written before the split is returned as is."""
    parts: dict[str, list[xr.DataArray]] = {}
    for name, var in ds.data_vars.items():
        dims = [str(d) for d in var.dims]
        if unit_of(dims):
            part = var.chunk({"scenario": 1} if "scenario" in dims else {})
            part = part.rename({UNIT_DIMS[unit_of(dims)][0]: "good"})
            parts.setdefault(base_name(str(name), dims), []).append(part)
    if not parts:
        return ds
    ds = ds.drop_dims([d for d, _ in UNIT_DIMS.values() if d in ds.dims])
    goods, units = list(ds["good"].values), list(ds["unit"].values)
    for base, arrays in parts.items():
        ds[base] = xr.concat(arrays, dim="good", coords="minimal", compat="override").reindex(
            good=goods
        )
        ds[base].attrs = variable_attrs(base, goods, units)
    return ds


def variable_attrs(
    name: str, goods: Sequence[str], units: Sequence[str], dtype: Any = FILE_DTYPE
) -> dict[str, Any]:
    """``units``, ``long_name`` (and ``flag_values`` / ``flag_meanings``) of a variable."""
    _, kind, long_name = VARIABLES.get(name, ("", SHARE, name.replace("_", " ")))
    attrs: dict[str, Any] = {"long_name": long_name, "units": units_text(kind, goods, units)}
    if kind in (RM, RM_FLOW) or (set(units) == {"RM"} and kind in (LEVEL, FLOW)):
        attrs.update(CURRENCY)
        attrs["long_name"] = f"{long_name}, in Reichsmarks"
    if kind in (FLOW, RM_FLOW, TONNES_FLOW):
        attrs["cell_methods"] = "month: sum"
    elif kind in (LEVEL, RM):
        attrs["cell_methods"] = "month: point"
    if kind == FLAG:
        attrs["flag_values"] = np.arange(len(BINDING), dtype=dtype)
        attrs["flag_meanings"] = " ".join(BINDING)
    return attrs


def month_dates(labels: Sequence[str]) -> np.ndarray:
    """``YYYY-MM`` texts -> the first day of each month, datetime64[ns]."""
    return np.array([f"{m}-01" for m in labels], dtype="datetime64[D]").astype("datetime64[ns]")


def month_days(labels: Sequence[str]) -> tuple[np.ndarray, str]:
    """The month axis as CF numbers: days since the first month, and that units text."""
    days = np.array([f"{m}-01" for m in labels], dtype="datetime64[D]").astype(np.int64)
    return (days - days[0]).astype(np.int32), f"days since {labels[0]}-01"


def month_labels(ds: xr.Dataset | xr.DataArray) -> list[str]:
    """The ``YYYY-MM`` texts of a dataset's month axis (a text month axis included)."""
    if "month_label" in ds.coords:
        return [str(m) for m in ds["month_label"].values]
    values = ds["month"].values
    if np.issubdtype(values.dtype, np.datetime64):
        return [str(m)[:7] for m in values.astype("datetime64[M]")]
    return [str(m) for m in values]


COORD_ATTRS: dict[str, dict[str, str]] = {
    "scenario": {"long_name": "scenario (name of its file in scenarios/)", "units": "1"},
    "run": {"long_name": "Monte Carlo replication", "units": "1"},
    "month": {"long_name": "month (its first day)", "standard_name": "time", "axis": "T"},
    "month_label": {"long_name": "month, YYYY-MM", "units": "1"},
    "good": {"long_name": "good", "units": "1"},
    "good_t": {"long_name": "good measured in tonnes", "units": "1"},
    "good_kg": {"long_name": "good measured in kilograms (platinum)", "units": "1"},
    "good_rm": {
        "long_name": "good valued in Reichsmarks (German counter-deliveries)",
        "units": "1",
    },
    "supplier": {"long_name": "origin of imports into Germany", "units": "1"},
    "unit": {"long_name": "unit of the good's quantities", "units": "1"},
    "price_rm_per_unit": {
        "long_name": "reference price of the good, in Reichsmarks per unit(good)",
        "units": "1",
        **CURRENCY,
    },
}


def global_attrs(command: str, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``Conventions``, ``title``, ``source``, ``history`` (and any extra attributes)."""
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return {
        "Conventions": CONVENTIONS,
        "title": TITLE,
        "source": SOURCE,
        "history": f"{stamp} written by pactsim {command}",
        **{k: v for k, v in (extra or {}).items() if v is not None},
    }


def annotate(ds: xr.Dataset) -> xr.Dataset:
    """CF attributes on every variable and coordinate of a dataset with a ``good`` axis."""
    goods = [str(g) for g in ds["good"].values]
    units = [str(u) for u in ds["unit"].values]
    for name in ds.data_vars:
        ds[name].attrs.update(variable_attrs(str(name), goods, units, ds[name].dtype))
    for name, attrs in COORD_ATTRS.items():
        if name in ds.coords:
            ds[name].attrs.update(attrs)
    return ds
