"""Stocks that conserve: every holder of goods keeps a ledger of its monthly flows.

For every holder (an agent, or a route's cargo in transit), good, run and month:

    stock_end = stock_start + production + arrivals - shipments - consumption - losses

Only :meth:`Ledger.produce` creates goods, only :meth:`Ledger.consume` and
:meth:`Ledger.lose` destroy them, and :meth:`Ledger.ship` / :meth:`Ledger.receive` move
them. A withdrawal larger than the stock raises instead of going negative (SimPy's
``Container`` habit). The monthly flows are kept as (month, run, good) arrays so that
tests can check the identity for every cell.
"""

from __future__ import annotations

import numpy as np

FLOWS = ("production", "arrivals", "shipments", "consumption", "losses")
_TOL = 1e-9


class ConservationError(RuntimeError):
    """A holder was asked to give more than it has."""


class Ledger:
    def __init__(
        self,
        holder: str,
        initial_stock: np.ndarray,
        n_months: int,
        record: bool = True,
        track_month: bool | None = None,
    ):
        if (initial_stock < 0).any():
            raise ConservationError(f"{holder}: negative initial stock")
        self.holder = holder
        self.stock = np.array(initial_stock, dtype=float)
        self.record = record
        self.track_month = record if track_month is None else (track_month or record)
        shape = (n_months, *self.stock.shape)
        self.history = (
            {name: np.zeros(shape) for name in ("stock_start", "stock_end", *FLOWS)}
            if record
            else {}
        )
        self._month: dict[str, np.ndarray] = {}
        self._t = -1

    # month bracketing -----------------------------------------------------------------
    def open_month(self, t: int) -> None:
        self._t = t
        if self.track_month:
            self._month = {name: np.zeros_like(self.stock) for name in FLOWS}
        if self.record:
            self.history["stock_start"][t] = self.stock

    def close_month(self) -> None:
        if self.record:
            t = self._t
            for name in FLOWS:
                self.history[name][t] = self._month[name]
            self.history["stock_end"][t] = self.stock

    def flow(self, name: str) -> np.ndarray:
        """This month's running total of one flow (R, G)."""
        return self._month[name]

    # the only ways goods change -------------------------------------------------------
    def produce(self, amount: np.ndarray) -> None:
        self._add("production", amount)

    def receive(self, amount: np.ndarray) -> None:
        self._add("arrivals", amount)

    def ship(self, amount: np.ndarray) -> None:
        self._take("shipments", amount)

    def consume(self, amount: np.ndarray) -> None:
        self._take("consumption", amount)

    def lose(self, amount: np.ndarray) -> None:
        self._take("losses", amount)

    def _add(self, flow: str, amount: np.ndarray) -> None:
        if (amount < -_TOL).any():
            raise ConservationError(f"{self.holder}: negative {flow}")
        amount = np.maximum(amount, 0.0)
        self.stock += amount
        if self.track_month:
            self._month[flow] += amount

    def _take(self, flow: str, amount: np.ndarray) -> None:
        amount = np.maximum(amount, 0.0)
        if (amount > self.stock * (1.0 + _TOL) + _TOL).any():
            excess = float((amount - self.stock).max())
            raise ConservationError(
                f"{self.holder}: {flow} of {excess:.6g} more than the stock holds"
            )
        amount = np.minimum(amount, self.stock)
        self.stock -= amount
        if self.track_month:
            self._month[flow] += amount
