"""``credit``: the 1939 merchandise credit -- a line, interest, a drawing window (rows 25-27) --
and the German-Soviet clearing account it is drawn beside (:class:`Clearing`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from model.treaties.month import TreatyMonth
from model.world.goods import GoodsCatalogue
from model.world.kinds import MONTH, QUANTITY, ordered
from model.world.nodes import Number, Table
from model.world.parameters import ParameterView

if TYPE_CHECKING:
    from model.treaties.rules import Treaty


@dataclass
class CreditRule:
    """A merchandise credit: German deliveries drawn on a line, with interest (rows 25-27)."""

    line_rm: np.ndarray
    interest_share_per_year: np.ndarray
    draw_first: np.ndarray
    draw_last: np.ndarray
    drawn_rm: np.ndarray  # (R,) drawn on this line so far
    phases = ("clearing",)
    SCHEMA = Table(
        {
            "line_rm": QUANTITY,
            "interest_share_per_year": Number(low=0, high=1, sampled=True, default=0.0),
            "draw_from": MONTH,
            "draw_to": MONTH,
        },
        required=("line_rm", "draw_from", "draw_to"),
        rules=(ordered("draw_from", "draw_to"),),
    )

    @classmethod
    def build(
        cls, path: str, table: Mapping[str, Any], view: ParameterView, goods: GoodsCatalogue
    ) -> CreditRule:
        return cls(
            line_rm=view.number(f"{path}.line_rm"),
            interest_share_per_year=view.number(f"{path}.interest_share_per_year"),
            draw_first=view.month(f"{path}.draw_from"),
            draw_last=view.month(f"{path}.draw_to"),
            drawn_rm=np.zeros(view.n_runs),
        )

    def clearing(self, month: int, treaty: Treaty, active: np.ndarray, state: TreatyMonth) -> None:
        open_now = (self.draw_first <= month) & (month <= self.draw_last) & active
        state.drawable |= open_now
        state.credit_rules.append(self)
        self.open_now = open_now
        state.line_rm = np.maximum(state.line_rm, self.line_rm)
        state.interest_share_per_year = np.maximum(
            state.interest_share_per_year, self.interest_share_per_year
        )

    def room_rm(self, state: TreatyMonth) -> np.ndarray:
        """(R,) what may still be drawn on this line this month (0 where it is not open)."""
        return np.where(self.open_now, np.maximum(self.line_rm - self.drawn_rm, 0.0), 0.0)

    def draw(self, amount_rm: np.ndarray, state: TreatyMonth) -> np.ndarray:
        """Draw up to ``amount_rm`` on this line; returns what was drawn (R,)."""
        take = np.minimum(np.maximum(amount_rm, 0.0), self.room_rm(state))
        self.drawn_rm = self.drawn_rm + take
        return take


def draw_credit(
    state: TreatyMonth, german_rm: np.ndarray, owed_credit: np.ndarray, owed_clearing: np.ndarray
) -> np.ndarray:
    """(R,) the part of this month's German deliveries (``german_rm``) financed by credit.

    German deliveries pay what is owed on the credit and on the clearing account in
    proportion to the two. Each credit line is drawn on its own (the 1935 credit does not use
    up the 1939 one): the room is the sum of the undrawn parts of the lines open this month
    (``state.credit_rules``, set in the clearing phase), filled in the order the treaties
    are listed.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(owed_credit > 0, owed_credit / (owed_credit + owed_clearing), 0.0)
    room = sum((r.room_rm(state) for r in state.credit_rules), np.zeros(len(german_rm)))
    credit_part = np.minimum(german_rm * share, room) * state.drawable
    left = credit_part
    for r in state.credit_rules:
        left = left - r.draw(left, state)
    return credit_part


@dataclass
class Clearing:
    """The German-Soviet clearing account and the 1939 credit, per run, in RM."""

    n_runs: int
    soviet_delivered_rm: np.ndarray = field(init=False)
    german_delivered_rm: np.ndarray = field(init=False)
    due_clearing_rm: np.ndarray = field(init=False)
    delivered_clearing_rm: np.ndarray = field(init=False)
    due_credit_rm: np.ndarray = field(init=False)
    delivered_credit_rm: np.ndarray = field(init=False)
    credit_drawn_rm: np.ndarray = field(init=False)
    soviet_debt_rm: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            if name != "n_runs":
                setattr(self, name, np.zeros(self.n_runs))

    @property
    def arrears_rm(self) -> np.ndarray:
        """German deliveries owed on the clearing account and not yet made."""
        return np.maximum(self.due_clearing_rm - self.delivered_clearing_rm, 0.0)

    @property
    def credit_outstanding_rm(self) -> np.ndarray:
        return np.maximum(self.due_credit_rm - self.delivered_credit_rm, 0.0)

    @property
    def balance_rm(self) -> np.ndarray:
        """Soviet deliveries minus German deliveries not financed by the credit."""
        return self.soviet_delivered_rm - self.delivered_clearing_rm

    def settle(self, state: TreatyMonth, german_rm: np.ndarray) -> None:
        """Book this month's German deliveries (``german_rm``, (R,)) on the credit and the
        clearing account in proportion to what was owed on each (:func:`draw_credit`), with
        interest on the Soviet debt; take what Germany owes on the clearing account from the
        rules' clearing phase (``state``)."""
        owed = self.credit_outstanding_rm, self.arrears_rm
        credit_part = draw_credit(state, german_rm, *owed)
        self.delivered_credit_rm += credit_part
        self.delivered_clearing_rm += german_rm - credit_part
        self.soviet_debt_rm = (
            self.soviet_debt_rm * (1.0 + state.interest_share_per_year / 12.0) + credit_part
        )
        self.credit_drawn_rm += credit_part
        self.due_clearing_rm = state.due_clearing_rm
