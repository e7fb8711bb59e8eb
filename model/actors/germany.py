"""Germany: production, consumption with rationing and substitution, exports, conquest.

State: a stock of every good, shape (R, G). Each month (docs/architecture.md §3):

- **produces** domestic output, the grain harvest once a year (its size times a per-year
  factor times a lognormal shock), synthetic output (oil: hydrogenation and
  Fischer-Tropsch, row 131; rubber: Buna, rows 146-150) following a capacity schedule,
  and the output of conquered territories;
- **recovers scrap**: a declared share of last month's consumption of a metal (copper,
  nickel) comes back as secondary output (``germany.recycling``) -- production, so
  conservation holds: only production creates goods;
- **captures** stocks on conquest (e.g. French fuel, row 141), recorded as arrivals; an
  occupied territory may add military demand as well as output (the Wehrmacht in the
  East fed from Soviet grain, G15);
- **keeps a reserve** of a seasonal good (grain, ``germany.reserves``): the state reserve
  is a part of the stock that is drawn only when the current crop is used up
  (``reserve = min(reserve, stock)`` after consumption: it is never rebuilt in the window).
  Ration cuts are rules triggered by the reserve, not dates: once the reserve falls below
  a declared share of its initial level, civil demand is cut by a declared share, for
  good (sticky: wartime rations were not restored, row 101). For such a good the
  stock-cover rationing below does not apply (a seasonal stock is large after harvest and
  small before it, which says nothing about scarcity);
- **consumes**: military demand (scaled by the war phase of the month) has priority;
  civil demand is rationed progressively from ``civil_floor_share`` up to full as cover
  (months of stock at current demand) rises to ``cover_threshold_months``; a declared
  share of demand for some goods switches to another good or is economised when cover
  is short -- civil demand by ``share``, military demand by ``military_share`` (steel
  cartridge cases for brass, molybdenum steels for nickel); whatever is still unmet is
  **shortage**;
- **exports** machinery, plant, naval equipment, weapons and coal/steel to the USSR,
  limited by the export capacity that armament programmes leave (rows 52-56) and by the
  delivery policy (``delivery_share``, goods withheld once the invasion is decided).

Units: each good's own unit per month (t, kg or RM).
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from model.world.calendar import calendar_month
from model.world.goods import GoodsCatalogue
from model.world.ledger import Ledger
from model.world.parameters import NEVER, ParameterView


def goods_vector(view: ParameterView, path: str, goods: GoodsCatalogue) -> np.ndarray:
    """A per-good table of numbers as (R, G); goods missing from the table are 0."""
    table = view.raw(path)
    out = np.zeros((view.n_runs, goods.n))
    for good in table:
        out[:, goods.index(good)] = view.number(f"{path}.{good}")
    return out


def schedule_value(
    month: int | np.ndarray, starts: list[np.ndarray], values: list[np.ndarray]
) -> np.ndarray:
    """Value of a step schedule (entries sorted by start) at ``month``, per run (0 before);
    months (T, 1) give (T, R)."""
    out = np.zeros_like(values[0]) if values else np.zeros(())
    for start, value in zip(starts, values, strict=True):
        out = np.where(start <= month, value, out)
    return out


def schedule(view: ParameterView, path: str, key: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A dated list ``[{from, <key>}]`` as its starts (R,) and values (R,), in the file's order."""
    n = len(view.raw(path))
    return (
        [view.month(f"{path}[{i}].from") for i in range(n)],
        [view.number(f"{path}[{i}].{key}") for i in range(n)],
    )


def period_tables(
    view: ParameterView, path: str, goods: GoodsCatalogue
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """A dated list of per-good tables ``[{from, per_month = {good = ...}}]`` as
    (start (R,), values (R, G), listed goods (G,) bool), in the file's (ascending) order."""
    out = []
    for i in range(len(view.raw(path))):
        base = f"{path}[{i}]"
        listed = np.zeros(goods.n, dtype=bool)
        for good in view.raw(f"{base}.per_month"):
            listed[goods.index(good)] = True
        out.append(
            (view.month(f"{base}.from"), goods_vector(view, f"{base}.per_month", goods), listed)
        )
    return out


def period_value(
    month: int | np.ndarray,
    base: np.ndarray,
    periods: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> np.ndarray:
    """The per-good table in force at ``month``: from an entry's ``from`` until the next
    entry's, the goods it lists take its values and every other good the base table's
    (months (T, 1) give (T, R, G))."""
    out = base
    for start, values, listed in periods:
        entry = np.where(listed[None, :], values, base)
        out = np.where((start <= month)[..., None], entry, out)
    return out


def _add_from(table: np.ndarray, value: np.ndarray, start: np.ndarray, only: bool = False) -> None:
    """Add ``value`` (R, G) to ``table`` (T, R, G) from row ``start`` (R,) of each run on
    (``only``: in that row alone): the sum ``table + value * (start <= t)`` month by month,
    without adding the zeros (x + 0.0 is x), so with the same bits and a fraction of the work."""
    T = table.shape[0]
    if not value.any():
        return  # adds only zeros
    if (start == start[0]).all():  # one month for every run (the common case): no fancy index
        t0 = int(start[0])
        if only and 0 <= t0 < T:
            table[t0] += value
        elif not only and t0 < T:
            table[max(t0, 0) :] += value
        return
    for t0 in np.unique(start[(start >= 0) & (start < T)] if only else np.maximum(start, 0)):
        if t0 >= T:
            continue
        runs = np.flatnonzero(start == t0) if only or t0 > 0 else np.flatnonzero(start <= 0)
        rows = slice(int(t0), int(t0) + 1) if only else slice(int(t0), T)
        table[rows, runs] += value[runs]


def substitution_groups(substitutions: list[tuple]) -> list[tuple]:
    """Germany's substitutions ``(good, share, to, ratio, military_share)`` in consecutive
    groups whose goods (substituted or substituted to) are all distinct, each as the goods
    (n,), ``share`` and ``military_share`` (R, n), the positions in the group of those with a
    ``to`` (m,), their ``to`` goods (m,) and ``ratio`` (R, m): no good a group touches is
    touched twice in it, so applying a group at once gives what applying its substitutions
    one after another gives, element by element."""
    groups: list[list[tuple]] = []
    touched: set[int] = set()
    for sub in substitutions:
        good, _, to, _, _ = sub
        mine = {good} if to is None else {good, to}
        if not groups or mine & touched:
            groups.append([])
            touched = set()
        groups[-1].append(sub)
        touched |= mine
    out = []
    for group in groups:
        at = [k for k, (_, _, to, _, _) in enumerate(group) if to is not None]
        out.append(
            (
                np.array([g for g, *_ in group], dtype=np.intp),
                np.stack([share for _, share, *_ in group], axis=1),
                np.stack([m for *_, m in group], axis=1),
                np.array(at, dtype=np.intp),
                np.array([group[k][2] for k in at], dtype=np.intp),
                np.stack([group[k][3] for k in at], axis=1) if at else None,
            )
        )
    return out


@dataclass
class Conquest:
    name: str
    month: np.ndarray  # (R,)
    capture: np.ndarray  # (R, G)
    output: np.ndarray  # (R, G) per month once conquered
    military_demand: np.ndarray  # (R, G) per month once conquered: the occupation's own use


class Germany(mesa.Agent):
    def __init__(self, model: mesa.Model, view: ParameterView, goods: GoodsCatalogue, shocks: dict):
        super().__init__(model)
        R, G, T = view.n_runs, goods.n, model.window.n_months
        self.goods = goods
        initial = goods_vector(view, "germany.initial_stock", goods)
        self.ledger = Ledger("germany", initial, T, model.record, track_month=True)
        self.domestic = goods_vector(view, "germany.domestic_output_per_month", goods)
        self.civil_demand = goods_vector(view, "germany.civil_demand_per_month", goods)
        self.civil_demand_base = self.civil_demand
        self.domestic_periods = period_tables(view, "germany.domestic_output_by_period", goods)
        self.civil_periods = period_tables(view, "germany.civil_demand_by_period", goods)
        self.military_demand = goods_vector(view, "germany.military_demand_per_month", goods)
        self._build_harvest(view, shocks)
        self._build_synthetic(view)
        self._build_war_phases(view)
        self._build_rationing(view)
        self._build_exports(view)
        self._build_conquests(view, model.invasion_month)
        self._build_reserves(view)
        self._build_recycling(view)
        # this month's results, read by the recorder
        self.demand = np.zeros((R, G))
        self.military_need = np.zeros((R, G))
        self.military_use = np.zeros((R, G))
        self.shortage = np.zeros((R, G))
        self.rationed = np.zeros((R, G))
        self.captured = np.zeros((R, G))
        self.synthetic_output = np.zeros((R, G))
        self.phase = np.zeros(R, dtype=np.int64)
        self.ration_cut = np.zeros((R, G))  # share of civil demand cut by the reserve rules
        self.last_consumption = np.zeros((R, G))
        self.recycled = np.zeros((R, G))
        self.civil_need = np.zeros((R, G))
        self.civil_use = np.zeros((R, G))

    # construction ---------------------------------------------------------------------
    def _build_harvest(self, view: ParameterView, shocks: dict) -> None:
        h = view.raw("germany.harvest")
        self.harvest_good = self.goods.index(h["good"])
        self.harvest_calendar_month = int(h["calendar_month"])
        self.harvest_output = view.number("germany.harvest.output_t")
        self.harvest_year_factor = {
            int(y): view.number(f"germany.harvest.year_factor.{y}")
            for y in view.raw("germany.harvest.year_factor")
        }
        # a year's own recorded or derived harvest replaces output_t x year_factor
        self.harvest_by_year = {
            int(y): view.number(f"germany.harvest.output_t_by_year.{y}")
            for y in view.raw("germany.harvest.output_t_by_year")
        }
        sd = float(view.raw("germany.harvest.shock_sd"))
        self.harvest_shock = np.exp(sd * shocks["germany_harvest"] - sd**2 / 2)  # (R, years)

    def _build_synthetic(self, view: ParameterView) -> None:
        self.synthetic = []
        for good in view.raw("germany.synthetic"):
            base = f"germany.synthetic.{good}"
            self.synthetic.append(
                (
                    self.goods.index(good),
                    view.number(f"{base}.utilisation"),
                    *schedule(view, f"{base}.schedule", "t_per_month"),
                    *schedule(view, f"{base}.capacity_lost", "share"),
                )
            )

    def _build_war_phases(self, view: ParameterView) -> None:
        table = view.raw("germany.war_phases")
        self.phase_names = list(table["multipliers"])
        self.phase_multiplier = np.array([float(table["multipliers"][p]) for p in self.phase_names])
        self.phase_starts = [
            view.month(f"germany.war_phases.schedule[{i}].from")
            for i in range(len(table["schedule"]))
        ]
        self.phase_index = [self.phase_names.index(e["phase"]) for e in table["schedule"]]
        self.invasion_phase = self.phase_names.index(view.raw("germany.war_phases.invasion_phase"))
        # (R, phase, good): a phase may scale one good's military use differently (oil in the East, O35)
        mult = np.repeat(self.phase_multiplier[None, :, None], self.goods.n, axis=2)
        self.phase_good_multiplier = np.repeat(mult, view.n_runs, axis=0)
        for phase, goods in view.raw("germany.war_phases.good_multipliers").items():
            for good in goods:
                path = f"germany.war_phases.good_multipliers.{phase}.{good}"
                self.phase_good_multiplier[
                    :, self.phase_names.index(phase), self.goods.index(good)
                ] = view.number(path)

    def _build_rationing(self, view: ParameterView) -> None:
        self.cover_threshold = view.number("germany.rationing.cover_threshold_months")[:, None]
        # the cover rules (rationing, substitution) are war-economy rules: a run that starts
        # in peacetime names the month they begin (absent: from the window's start)
        self.rationing_from = view.month("germany.rationing.from")
        self.civil_floor = view.number("germany.rationing.civil_floor_share")[:, None]
        self.military_priority = bool(view.raw("germany.rationing.military_priority"))
        self.substitutions = []
        for good, table in view.raw("germany.substitution").items():
            base = f"germany.substitution.{good}"
            to = self.goods.index(table["to"]) if "to" in table else None
            self.substitutions.append(
                (
                    self.goods.index(good),
                    view.number(f"{base}.share"),
                    to,
                    view.number(f"{base}.ratio"),
                    view.number(f"{base}.military_share"),
                )
            )
        self.substitution_groups = substitution_groups(self.substitutions)
        self.civil_room = 1.0 - self.civil_floor  # the share of civil demand rationing may cut

    def _build_exports(self, view: ParameterView) -> None:
        base = "germany.exports"
        self.capacity_starts, self.capacity_values = schedule(
            view, f"{base}.capacity_rm_per_month", "rm"
        )
        self.delivery_share = view.number(f"{base}.delivery_share")
        mix = np.zeros(self.goods.n)
        for good, share in view.raw(f"{base}.mix").items():
            mix[self.goods.index(good)] = float(share)
        self.export_mix = mix / mix.sum()
        withheld = view.raw(f"{base}.withheld")
        if withheld:
            self.withheld_from = view.month(f"{base}.withheld.from")
            self.withheld_mask = self.goods.mask(withheld["goods"])
            self.withheld_share = view.number(f"{base}.withheld.share")
        else:
            self.withheld_from = np.full(view.n_runs, NEVER)
            self.withheld_mask = np.zeros(self.goods.n, dtype=bool)
            self.withheld_share = np.zeros(view.n_runs)
        self.lots = []
        for i, lot in enumerate(view.raw(f"{base}.lots")):
            self.lots.append(
                (
                    self.goods.index(lot["good"]),
                    view.month(f"{base}.lots[{i}].month"),
                    view.number(f"{base}.lots[{i}].rm"),
                    view.raw(f"{base}.lots[{i}].treaty"),
                )
            )

    def _build_conquests(self, view: ParameterView, invasion_month: np.ndarray) -> None:
        self.conquests = []
        for name, table in view.raw("events.conquests").items():
            base = f"events.conquests.{name}"
            if "months_after_invasion" in table:
                after = int(table["months_after_invasion"])
                month = np.where(invasion_month >= NEVER, NEVER, invasion_month + after)
            else:
                month = view.month(f"{base}.month")
            self.conquests.append(
                Conquest(
                    name,
                    month,
                    goods_vector(view, f"{base}.capture", self.goods),
                    goods_vector(view, f"{base}.output_per_month", self.goods),
                    goods_vector(view, f"{base}.military_demand_per_month", self.goods),
                )
            )

    def _build_reserves(self, view: ParameterView) -> None:
        """State reserves of seasonal goods and the ration cuts they trigger."""
        R, G = view.n_runs, self.goods.n
        self.reserve = np.zeros((R, G))
        self.reserve_initial = np.zeros((R, G))
        self.reserve_mask = np.zeros(G, dtype=bool)
        self.ration_rules = []  # (good, below_share (R,), cut_share (R,))
        self.carry_over = []  # (good, month (R,)): the reserve is set from the stock then
        for good, table in view.raw("germany.reserves").items():
            g, base = self.goods.index(good), f"germany.reserves.{good}"
            self.reserve_mask[g] = True
            if "carry_over_from" in table:
                # a run that starts years earlier: the reserve is the stock carried over at the
                # end of that month (before the harvest), not a number of the file
                self.carry_over.append((g, view.month(f"{base}.carry_over_from")))
            else:
                initial = np.minimum(view.number(f"{base}.initial_t"), self.ledger.stock[:, g])
                self.reserve[:, g] = self.reserve_initial[:, g] = initial
            for i in range(len(view.raw(f"{base}.ration_cuts"))):
                self.ration_rules.append(
                    (
                        g,
                        view.number(f"{base}.ration_cuts[{i}].below_share"),
                        view.number(f"{base}.ration_cuts[{i}].cut_share"),
                    )
                )
        self.rule_fired = np.zeros((R, len(self.ration_rules)), dtype=bool)

    def _build_recycling(self, view: ParameterView) -> None:
        self.recycling_share = goods_vector(view, "germany.recycling", self.goods)

    def _update_reserves(self, month: int) -> None:
        """The reserve is what is left once the current crop is used up; rules fire on it."""
        stock = self.ledger.stock
        for g, start in self.carry_over:
            now = start == month
            self.reserve[:, g] = np.where(now, stock[:, g], self.reserve[:, g])
            self.reserve_initial[:, g] = np.where(now, stock[:, g], self.reserve_initial[:, g])
        self.reserve = np.where(self.reserve_mask[None, :], np.minimum(self.reserve, stock), 0.0)
        cut = np.zeros_like(self.ration_cut)
        for i, (g, below, share) in enumerate(self.ration_rules):
            fired = self.reserve[:, g] < below * self.reserve_initial[:, g]
            self.rule_fired[:, i] |= fired
            cut[:, g] += share * self.rule_fired[:, i]
        self.ration_cut = np.clip(cut, 0.0, 1.0)

    # phases -----------------------------------------------------------------------------
    def war_phase(self, month: int | np.ndarray, invaded: np.ndarray) -> np.ndarray:
        phase = np.full(invaded.shape, self.phase_index[0] if self.phase_index else 0)
        for start, index in zip(self.phase_starts, self.phase_index, strict=True):
            phase = np.where(start <= month, index, phase)
        return np.where(invaded, self.invasion_phase, phase)

    def month_tables(self, first: int, months: np.ndarray, phase: np.ndarray) -> None:
        """What depends on the month alone, for every month at once (``months`` (T, 1), the
        war ``phase`` (T, R)): output before scrap recovery, synthetic output, captures,
        military and total demand (T, R, G); a month reads its row."""
        R = self.domestic.shape[0]
        T = len(months)
        output = (
            period_value(months, self.domestic, self.domestic_periods)
            if self.domestic_periods
            else np.repeat(self.domestic[None], T, axis=0)
        )
        harvests = [
            t
            for t, m in enumerate(months[:, 0])
            if calendar_month(m) == self.harvest_calendar_month
        ]
        for t in harvests:
            year = int(months[t, 0]) // 12
            if year in self.harvest_by_year:
                amount = self.harvest_by_year[year]
            else:
                amount = self.harvest_output * self.harvest_year_factor.get(year, 1.0)
            output[t, :, self.harvest_good] += amount * self.harvest_shock[:, year - first // 12]
        synthetic = np.zeros_like(output)
        for good, utilisation, starts, values, lost_starts, lost in self.synthetic:
            capacity = schedule_value(months, starts, values)
            damage = schedule_value(months, lost_starts, lost)
            synthetic[..., good] += capacity * utilisation * (1.0 - damage)
        self.synthetic_by_month = synthetic
        output += synthetic
        first_month = int(months[0, 0])
        for c in self.conquests:
            _add_from(output, c.output, c.month - first_month)
        self.output_by_month = output
        captured = np.zeros_like(output)
        for c in self.conquests:
            _add_from(captured, c.capture, c.month - first_month, only=True)
        self.captured_by_month = captured
        runs = np.arange(R)
        self.civil_by_month = (
            period_value(months, self.civil_demand_base, self.civil_periods)
            if self.civil_periods
            else None
        )
        civil = self.civil_demand if self.civil_by_month is None else self.civil_by_month
        military = self.military_demand * self.phase_good_multiplier[runs, phase, :]
        demand = military + civil
        for c in self.conquests:
            _add_from(military, c.military_demand, c.month - first_month)
            _add_from(demand, c.military_demand, c.month - first_month)
        self.military_by_month, self.demand_by_month = military, demand

    def produce(self, step: int) -> None:
        self.synthetic_output = self.synthetic_by_month[step]
        self.recycled = self.recycling_share * self.last_consumption
        self.ledger.produce(self.output_by_month[step] + self.recycled)

    def capture(self, step: int) -> None:
        self.captured = self.captured_by_month[step]
        self.ledger.receive(self.captured)

    def export_offer(
        self,
        month: int,
        outstanding_rm: np.ndarray,
        catch_up_share: np.ndarray,
        active: dict[str, np.ndarray],
    ) -> np.ndarray:
        """Machinery offered this month (R, G) in RM, to be produced to order and shipped.

        A lot (e.g. the cruiser Lutzow) ships in its month, outside the export capacity,
        if the treaty it was sold under is in force (``active``: treaty id -> (R,) mask).
        """
        capacity = schedule_value(month, self.capacity_starts, self.capacity_values) * (
            1.0 + catch_up_share
        )
        value = np.minimum(capacity, np.maximum(outstanding_rm, 0.0)) * self.delivery_share
        offer = value[:, None] * self.export_mix[None, :] / self.goods.price_rm_per_unit[None, :]
        withheld = (self.withheld_from <= month)[:, None] * self.withheld_mask[None, :]
        offer = offer * (1.0 - withheld * self.withheld_share[:, None])
        for good, lot_month, rm, treaty in self.lots:
            live = (lot_month == month) & (active[treaty] if treaty else True)
            offer[:, good] += rm * live / self.goods.price_rm_per_unit[good]
        return offer

    def produce_for_export(self, amount: np.ndarray) -> None:
        """Machinery is built to order: what will be shipped is produced first."""
        self.ledger.produce(amount * self.goods.machinery[None, :])

    def expected_demand(self, step: int) -> np.ndarray:
        """This month's demand (R, G) before rationing, as :meth:`consume` will reckon it."""
        return self.demand_by_month[step]

    def consume(self, phase: np.ndarray, month: int, step: int) -> None:
        if self.civil_by_month is not None:
            self.civil_demand = self.civil_by_month[step]
        available = self.ledger.stock
        military = self.military_by_month[step].copy()
        civil = self.civil_demand * (1.0 - self.ration_cut)
        total = military + civil
        with np.errstate(divide="ignore", invalid="ignore"):
            cover = np.where(total > 0, available / np.where(total > 0, total, 1.0), np.inf)
        rules_on = (self.rationing_from <= month)[:, None]
        short_cover = np.clip(1.0 - cover / self.cover_threshold, 0.0, 1.0) * rules_on
        for goods, share, military_share, at, to, ratio in self.substitution_groups:
            short = short_cover[:, goods]
            moved = share * short * civil[:, goods]
            saved = military_share * short * military[:, goods]
            civil[:, goods] -= moved
            military[:, goods] -= saved
            if len(to):
                civil[:, to] += (moved[:, at] + saved[:, at]) * ratio
        total = military + civil
        with np.errstate(divide="ignore", invalid="ignore"):
            cover = np.where(total > 0, available / np.where(total > 0, total, 1.0), np.inf)
        civil_factor = self.civil_floor + self.civil_room * np.clip(
            cover / self.cover_threshold, 0.0, 1.0
        )
        civil_factor = np.where(
            self.reserve_mask[None, :] | ~rules_on, 1.0, civil_factor
        )  # reserve goods: the rules ration
        civil_target = civil * civil_factor
        if self.military_priority:
            military_use = np.minimum(military, available)
            civil_use = np.minimum(civil_target, available - military_use)
        else:
            share = np.minimum(1.0, available / np.maximum(military + civil_target, 1e-300))
            military_use, civil_use = military * share, civil_target * share
        use = military_use + civil_use
        self.ledger.consume(use)
        self.last_consumption = use
        self.demand = self.demand_by_month[step]
        self.military_need = military
        self.military_use = military_use
        self.civil_need = self.civil_demand.copy()
        self.civil_use = civil_use
        self.rationed = np.maximum(self.civil_demand - civil_target, 0.0)
        self.shortage = np.maximum(military + civil_target - use, 0.0)
        self.phase = phase
        self._update_reserves(month)
