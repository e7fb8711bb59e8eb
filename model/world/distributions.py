"""Uncertain numbers: any number or month in a scenario may be a distribution.

A distribution is written inline as a TOML table with a ``dist`` key:

- ``{dist = "uniform", low, high}``
- ``{dist = "triangular", low, mode, high}``
- ``{dist = "normal", mean, sd, low?, high?}`` (truncated to [low, high] when given)
- ``{dist = "lognormal", median, sigma, low?, high?}``
- ``{dist = "choice", values = [...], weights = [...]?}`` (numbers or months)

Months may be used wherever numbers are (``{dist = "uniform", low = "1941-05", high =
"1941-07"}``); they are sampled as whole months.

A deterministic run uses each distribution's *central value*: the mode of a triangular,
the midpoint of a uniform, the mean of a normal (clipped into its bounds), the median of
a lognormal, the most probable choice (the first on ties). Batches map uniform numbers
u in (0, 1) through the inverse CDF (:func:`ppf`), so that a sampler (Monte Carlo, Latin
hypercube, Sobol) only has to produce u.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from model.world.calendar import format_month, is_month_text, parse_month

KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (required keys, optional keys)
    "uniform": (("low", "high"), ()),
    "triangular": (("low", "mode", "high"), ()),
    "normal": (("mean", "sd"), ("low", "high")),
    "lognormal": (("median", "sigma"), ("low", "high")),
    "choice": (("values",), ("weights",)),
}


class DistributionError(ValueError):
    """A distribution spec that cannot be used; the message says what was expected."""


_NOT_TABLES = frozenset({str, int, float, bool, list})  # answered without the Mapping check


def is_distribution(value: object) -> bool:
    kind = type(value)
    if kind is dict:  # what TOML reads; asked of every leaf of a scenario
        return "dist" in value  # type: ignore[operator]
    return kind not in _NOT_TABLES and isinstance(value, Mapping) and "dist" in value


def _as_number(value: Any, key: str) -> float:
    """A number or a month text (as its index)."""
    if isinstance(value, bool):
        raise DistributionError(f"'{key}' must be a number or a month, got {value!r}")
    if isinstance(value, int | float):
        if not np.isfinite(value):
            raise DistributionError(f"'{key}' must be finite, got {value!r}")
        return float(value)
    if is_month_text(value):
        return float(parse_month(value))
    raise DistributionError(f"'{key}' must be a number or a month 'YYYY-MM', got {value!r}")


def is_month_distribution(spec: Mapping) -> bool:
    keys = ("values",) if spec.get("dist") == "choice" else KINDS.get(spec.get("dist"), ((), ()))[0]  # type: ignore[arg-type]
    sample = spec.get(keys[0]) if keys else None
    if spec.get("dist") == "choice" and isinstance(sample, list) and sample:
        sample = sample[0]
    return is_month_text(sample)


def check(spec: Mapping) -> None:
    """Raise DistributionError unless ``spec`` is a usable distribution."""
    kind = spec.get("dist")
    if kind not in KINDS:
        raise DistributionError(f"'dist' must be one of {', '.join(sorted(KINDS))}, got {kind!r}")
    required, optional = KINDS[kind]
    unknown = sorted(set(spec) - {"dist", *required, *optional})
    if unknown:
        raise DistributionError(
            f"unknown key(s) {unknown} for a {kind} distribution; "
            f"expected {', '.join(required + optional)}"
        )
    missing = [k for k in required if k not in spec]
    if missing:
        raise DistributionError(f"a {kind} distribution needs {', '.join(missing)}")
    if kind == "choice":
        _check_choice(spec)
        return
    values = {k: _as_number(spec[k], k) for k in required + optional if k in spec}
    if kind in ("uniform", "triangular") and not values["low"] < values["high"]:
        raise DistributionError(f"{kind}: 'low' must be below 'high'")
    if kind == "triangular" and not values["low"] <= values["mode"] <= values["high"]:
        raise DistributionError("triangular: 'mode' must lie between 'low' and 'high'")
    if kind == "normal" and values["sd"] <= 0:
        raise DistributionError("normal: 'sd' must be positive")
    if kind == "lognormal" and (values["median"] <= 0 or values["sigma"] <= 0):
        raise DistributionError("lognormal: 'median' and 'sigma' must be positive")
    if "low" in values and "high" in values and not values["low"] < values["high"]:
        raise DistributionError(f"{kind}: 'low' must be below 'high'")


def _check_choice(spec: Mapping) -> None:
    values = spec["values"]
    if not isinstance(values, list) or not values:
        raise DistributionError("choice: 'values' must be a non-empty list")
    for v in values:
        _as_number(v, "values")
    if "weights" in spec:
        weights = spec["weights"]
        if not isinstance(weights, list) or len(weights) != len(values):
            raise DistributionError("choice: 'weights' must be a list as long as 'values'")
        w = np.array([_as_number(x, "weights") for x in weights])
        if (w < 0).any() or w.sum() <= 0:
            raise DistributionError("choice: 'weights' must be non-negative and not all zero")


def central(spec: Mapping) -> float | str:
    """The value a deterministic run uses (a month text for month distributions)."""
    value = _central_number(spec)
    if is_month_distribution(spec):
        return format_month(round(value))
    return value


def _central_number(spec: Mapping) -> float:
    kind = spec["dist"]
    if kind == "uniform":
        return (_as_number(spec["low"], "low") + _as_number(spec["high"], "high")) / 2
    if kind == "triangular":
        return _as_number(spec["mode"], "mode")
    if kind == "normal":
        mean = _as_number(spec["mean"], "mean")
        low = _as_number(spec.get("low", -np.inf), "low")
        high = _as_number(spec.get("high", np.inf), "high")
        return float(np.clip(mean, low, high))
    if kind == "lognormal":
        median = _as_number(spec["median"], "median")
        low = _as_number(spec.get("low", 0.0), "low")
        high = _as_number(spec.get("high", np.inf), "high")
        return float(np.clip(median, low, high))
    values = [_as_number(v, "values") for v in spec["values"]]
    weights = spec.get("weights", [1.0] * len(values))
    return values[int(np.argmax(weights))]


def _stats() -> Any:
    """scipy.stats, imported on first use: about a second, and its objects would make every
    later garbage collection (``released_models``) slower -- no shipped scenario needs it."""
    from scipy import stats

    return stats


def ppf(spec: Mapping, u: np.ndarray) -> np.ndarray:
    """Map uniforms ``u`` in (0, 1) to values of the distribution (month indices for months)."""
    return ppf_rows([spec], np.asarray(u, dtype=float)[None])[0, ...]


def ppf_rows(specs: Sequence[Mapping], u: np.ndarray) -> np.ndarray:
    """:func:`ppf` of each spec at its row of ``u`` (P, ...): the uniform and triangular rows
    at once, one array operation per step for all of them (each element sees the operations
    it would see alone, so the bits are the same), the other kinds row by row."""
    u = np.clip(np.asarray(u, dtype=float), 1e-12, 1 - 1e-12)
    out = np.empty(u.shape)
    nums = [_numbers(spec) for spec in specs]
    months = [is_month_distribution(spec) for spec in specs]
    uniform: list[int] = []
    uniform_months: list[int] = []
    triangular: list[int] = []
    for i, (spec, num) in enumerate(zip(specs, nums, strict=True)):
        if spec["dist"] == "uniform":
            (uniform_months if months[i] else uniform).append(i)
        elif spec["dist"] == "triangular" and _regular_triangle(num):
            triangular.append(i)
        else:
            out[i] = _ppf_alone(spec, num, months[i], u[i])

    def column(rows: list[int], key: str) -> np.ndarray:
        return np.array([nums[i][key] for i in rows]).reshape((-1,) + (1,) * (u.ndim - 1))

    if uniform:
        low, high = column(uniform, "low"), column(uniform, "high")
        out[uniform] = low + u[uniform] * (high - low)
    if uniform_months:
        # every whole month from low to high inclusive is equally likely
        low, high = column(uniform_months, "low"), column(uniform_months, "high")
        out[uniform_months] = np.minimum(np.floor(low + u[uniform_months] * (high - low + 1)), high)
    if triangular:
        # scipy's triang ppf (its _ppf * scale + loc) without its argument checks, which
        # cost more than a one-run model's dynamics: the same operations, the same bits
        low, width = (
            column(triangular, "low"),
            column(triangular, "high") - column(triangular, "low"),
        )
        c = (column(triangular, "mode") - low) / width
        q = u[triangular]
        values = np.where(q < c, np.sqrt(c * q), 1 - np.sqrt((1 - c) * (1 - q))) * width
        values = values + low
        rounded = [k for k, i in enumerate(triangular) if months[i]]
        values[rounded] = np.floor(values[rounded] + 0.5)
        out[triangular] = values
    return out


def _numbers(spec: Mapping) -> dict[str, float]:
    """A spec's numeric keys (months as their indices)."""
    return {k: _as_number(v, k) for k, v in spec.items() if k not in ("dist", "values", "weights")}


def _regular_triangle(num: Mapping[str, float]) -> bool:
    width = num["high"] - num["low"]
    return width > 0 and 0.0 <= (num["mode"] - num["low"]) / width <= 1.0


def _ppf_alone(spec: Mapping, num: Mapping[str, float], month: bool, u: np.ndarray) -> np.ndarray:
    """One spec of the kinds :func:`ppf_rows` does not batch, at uniforms ``u`` (clipped)."""
    kind = spec["dist"]
    if kind == "triangular":  # a degenerate one (zero width, mode outside): scipy's answer
        width = num["high"] - num["low"]
        c = (num["mode"] - num["low"]) / width if width else np.nan
        out = _stats().triang.ppf(u, c, loc=num["low"], scale=width)
    elif kind == "normal":
        low, high = num.get("low", -np.inf), num.get("high", np.inf)
        a, b = (low - num["mean"]) / num["sd"], (high - num["mean"]) / num["sd"]
        out = _stats().truncnorm.ppf(u, a, b, loc=num["mean"], scale=num["sd"])
    elif kind == "lognormal":
        # scipy's norm.ppf(u) is its _ppf, ndtri(u), times scale 1 plus loc 0 for u in (0, 1):
        # the same bits (the sign of a zero aside, which the sum below erases)
        from scipy.special import ndtri

        out = np.exp(np.log(num["median"]) + num["sigma"] * ndtri(u))
        out = np.clip(out, num.get("low", 0.0), num.get("high", np.inf))
    else:
        values = np.array([_as_number(v, "values") for v in spec["values"]])
        weights = np.asarray(spec.get("weights", [1.0] * len(values)), dtype=float)
        cumulative = np.cumsum(weights) / weights.sum()
        return values[np.minimum(np.searchsorted(cumulative, u, side="right"), len(values) - 1)]
    return np.floor(out + 0.5) if month else np.asarray(out, dtype=float)
