"""The month of a treaty: its phases, what the rules in force say, and delivery profiles.

:class:`TreatyMonth` is filled phase by phase by the rules in force (``obligations``,
``reciprocity``, ``clearing``) and read by the model after each phase.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from model.world.goods import GoodsCatalogue
from model.world.nodes import Node
from model.world.parameters import ParameterView
from model.world.routes import FlowSpec

if TYPE_CHECKING:
    from model.treaties.rules import Treaty


PROFILES = ("even", "front_loaded", "back_loaded")
PHASES = ("obligations", "reciprocity", "clearing")


class TreatyRule(Protocol):
    """What every treaty rule is: built once from its scenario table, then called in the
    phases of the month it names (each a subset of :data:`PHASES`), one method per phase with
    the signature of :meth:`act`. A rule whose goods travel on flows of their own also has
    ``flows(goods) -> list[FlowSpec]`` (:class:`CarriesGoods`: ``third_party_purchase``),
    which the model adds when it is built.

    ``obligations`` depend on the month alone: they are called once, when the model is built,
    for every month of the window at once (``month`` a column (T, 1), ``active`` (T, R), the
    state's ``soviet_due``, ``german_fixed_rm`` and ``transit`` with a leading month axis:
    index goods as ``[..., g]``); the month reads its row (model.engine.months). The other
    phases are called month by month with (R,) arrays."""

    phases: ClassVar[tuple[str, ...]]
    SCHEMA: ClassVar[Node]  # its sub-table of ``[treaties.<id>]``, defaults and bounds

    @classmethod
    def build(
        cls, path: str, table: Mapping[str, Any], view: ParameterView, goods: GoodsCatalogue
    ) -> TreatyRule: ...

    def act(self, month: int, treaty: Treaty, active: np.ndarray, state: TreatyMonth) -> None:
        """(Named after its phase: ``obligations``, ``reciprocity`` or ``clearing``.)"""


def checked_registry(
    rules: Mapping[str, type], phases: tuple[str, ...], what: str, needs: tuple[str, ...] = ()
) -> dict[str, type]:
    """A registry of plug-ins, checked when it is built: every rule's ``phases`` is a tuple of
    ``phases``, it implements each of them (and ``needs``) and it declares its ``SCHEMA``
    node, so a misspelt phase is an error at import instead of a rule that silently never
    acts. Used for the treaty rules (:data:`model.treaties.rules.RULES`) and the Soviet
    policy rules (:data:`model.actors.soviet_policy.POLICIES`)."""
    for name, cls in rules.items():
        acts = getattr(cls, "phases", None)
        if not isinstance(acts, tuple) or not set(acts) <= set(phases):
            raise TypeError(
                f"{what} {name!r} ({cls.__name__}): phases must be a tuple of "
                f"{', '.join(phases)}; got {acts!r}"
            )
        missing = [m for m in (*needs, *acts) if not callable(getattr(cls, m, None))]
        if missing:
            raise TypeError(f"{what} {name!r} ({cls.__name__}) lacks {', '.join(missing)}()")
        if not isinstance(getattr(cls, "SCHEMA", None), Node):
            raise TypeError(f"{what} {name!r} ({cls.__name__}) declares no SCHEMA node")
    return dict(rules)


@runtime_checkable
class CarriesGoods(Protocol):
    """A rule whose goods travel on flows of their own (``third_party_purchase``): the flows,
    and in ``obligations`` one (T, R) amount per flow, in order, in ``state.purchases``."""

    def flows(self, goods: GoodsCatalogue) -> list[FlowSpec]: ...


@dataclass
class TreatyMonth:
    """What the treaty rules in force say in one month, per run; filled phase by phase."""

    n_runs: int
    n_goods: int
    n_tiers: int = 1  # Soviet dues are kept apart by agreement (Treaty.due_slot)
    # (R,) set by the model before reciprocity; all Germany has owed on the clearing account
    arrears_rm: np.ndarray = field(init=False)
    due_clearing_rm: np.ndarray = field(init=False)
    soviet_rm: np.ndarray = field(init=False)  # (R,) set before clearing: this month's, RM
    soviet_due: np.ndarray = field(init=False)  # (K, R, G) Soviet dues, by agreement
    german_fixed_rm: np.ndarray = field(init=False)  # (R,) fixed German dues (credit orders)
    transit: np.ndarray = field(init=False)  # (R, G) bool
    held: np.ndarray = field(init=False)  # (K, R, G) bool: suspended by the owed side
    catch_up: np.ndarray = field(init=False)  # (R,) extra share of German export capacity
    threatened: np.ndarray = field(init=False)  # (R,) bool
    drawable: np.ndarray = field(init=False)  # (R,) bool: a credit line may be drawn
    line_rm: np.ndarray = field(init=False)
    interest_share_per_year: np.ndarray = field(init=False)
    due_ratio: np.ndarray = field(init=False)  # German RM owed per Soviet RM, this month's treaty
    owner: np.ndarray = field(init=False)  # (R,) the treaty Soviet deliveries count under
    credit_rules: list = field(init=False)  # the credit lines of the treaties in force
    purchases: list = field(init=False)  # (T, R) bought abroad, per purchase flow (obligations)

    def __post_init__(self) -> None:
        R, G = self.n_runs, self.n_goods
        self.arrears_rm = np.zeros(R)
        self.due_clearing_rm = np.zeros(R)
        self.soviet_rm = np.zeros(R)
        K = max(self.n_tiers, 1)
        self.soviet_due = np.zeros((K, R, G))
        self.german_fixed_rm = np.zeros(R)
        self.transit = np.zeros((R, G), dtype=bool)
        self.held = np.zeros((K, R, G), dtype=bool)
        self.catch_up = np.zeros(R)
        self.threatened = np.zeros(R, dtype=bool)
        self.drawable = np.zeros(R, dtype=bool)
        self.line_rm = np.zeros(R)
        self.interest_share_per_year = np.zeros(R)
        self.due_ratio = np.zeros(R)
        self.owner = np.full(R, -1)
        self.credit_rules = []
        self.purchases = []


def window_share(
    month: int | np.ndarray, first: np.ndarray, last: np.ndarray, profile: str = "even"
) -> np.ndarray:
    """Share (R,) of a window's total due in ``month`` under a delivery profile (months
    (T, 1): (T, R))."""
    n = np.maximum(last - first + 1, 1).astype(float)
    k = month - first
    inside = (k >= 0) & (month <= last)
    if profile == "even":
        share = 1.0 / n
    elif profile == "front_loaded":
        share = 2.0 * (n - k) / (n * (n + 1))
    elif profile == "back_loaded":
        share = 2.0 * (k + 1) / (n * (n + 1))
    else:  # validated at load time
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    return np.where(inside, share, 0.0)
