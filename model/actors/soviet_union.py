"""The Soviet Union: an economy that exports, and a policy that decides what Germany gets.

**Supply** (docs/architecture.md §3; STOCKS.md U1-U12). Each month the exportable surplus of every
good accrues to an export pool, shape (R, G):

- goods with a production record export a share of output: ``production.<good>`` gives
  ``t_per_year`` and ``export_share`` (oil: output U1, U4; the share of it exported in
  1938-39, when Germany took almost none, U5, U6);
- the grain harvest gives its exportable part once a year (``harvest``: U8-U10), times a
  per-year factor and a lognormal shock;
- other goods have their exportable surplus stated directly (``exportable_surplus_per_month``).

Other buyers take ``other_buyers_share`` of each month's surplus before Germany; what the
pool holds beyond ``pool_cap_months`` of surplus goes to the Soviet reserve and home use.
Both leave the pool as consumption (the USSR's own ledger conserves).

**Deliveries.** What the treaties in force make due is carried forward while unmet, kept
apart by agreement; each month the outstanding dues are cut in turn by the pool (supply),
the goods held back (suspension: the treaty's balancing and the export policy,
:mod:`model.actors.soviet_policy`), the value German counter-deliveries justify (pacing) and
the border railway (rail). How the pool, the value budget and the railway's room are shared
among agreements is ``soviet_union.dues_order``, which the record leaves open: ``"pro_rata"``
(the baseline, and the default) pools every due, each good cut in the same proportion;
``"seniority"`` serves the agreements in the order they came into force -- the Feb 1940
deliveries were owed "in addition to the credit-agreement deliveries" (row 34), so Schedule C
(row 29) is not crowded out by the later quotas -- and within an agreement cuts every good in
the same proportion (no record of how wagons were allocated). Which step bound is recorded
per month and good (``binding``). The USSR also holds the German machinery it receives: its
gains in machinery and technology.
"""

from __future__ import annotations

import mesa
import numpy as np

from model.actors.germany import goods_vector
from model.actors.soviet_policy import BINDING_CODE, ExportPolicy, PolicyMonth
from model.world.calendar import calendar_month
from model.world.goods import GoodsCatalogue
from model.world.ledger import Ledger
from model.world.parameters import ParameterView
from model.world.routes import SOVIET_ROUTE, FlowSpec


class SovietUnion(mesa.Agent):
    def __init__(
        self,
        model: mesa.Model,
        view: ParameterView,
        goods: GoodsCatalogue,
        shocks: dict,
        dues_starts: np.ndarray | None = None,
    ):
        """``dues_starts`` (K, R): the month each agreement with Soviet dues came into force."""
        super().__init__(model)
        R, G = view.n_runs, goods.n
        self.goods = goods
        self.surplus = goods_vector(view, "soviet_union.exportable_surplus_per_month", goods)
        for good in view.raw("soviet_union.production"):
            p = f"soviet_union.production.{good}"
            self.surplus[:, goods.index(good)] += (
                view.number(f"{p}.t_per_year") * view.number(f"{p}.export_share") / 12.0
            )
        self.other_buyers_share = goods_vector(view, "soviet_union.other_buyers_share", goods)
        h = view.raw("soviet_union.harvest")
        self.harvest_good = goods.index(h["good"])
        self.harvest_calendar_month = int(h["calendar_month"])
        self.harvest_exportable = view.number("soviet_union.harvest.exportable_t")
        self.harvest_year_factor = {
            int(y): float(f) for y, f in view.raw("soviet_union.harvest.year_factor").items()
        }
        sd = float(view.raw("soviet_union.harvest.shock_sd"))
        self.harvest_shock = np.exp(sd * shocks["soviet_harvest"] - sd**2 / 2)
        self.pool_cap_months = view.number("soviet_union.pool_cap_months")[:, None]
        # the planned monthly export to Germany (t), by which the routes' room is allotted
        plan = self.surplus.copy()
        plan[:, self.harvest_good] += self.harvest_exportable / 12.0
        self.export_plan = plan * (1.0 - self.other_buyers_share)  # each good's unit
        self.export_plan_t = self.export_plan * goods.tonnes_per_unit[None, :]
        self.export_plan_rm = self.export_plan * goods.price_rm_per_unit[None, :]  # pacing
        initial = np.zeros((R, G))
        initial[:, self.harvest_good] = view.number("soviet_union.harvest.initial_t")
        self.ledger = Ledger("soviet_union", initial, model.window.n_months, model.record)
        self.policy = ExportPolicy.from_view(view, goods)
        self.flow_specs = flow_specs(view, goods)
        self.flow_index: list[int] = []  # positions of its flows in the model's FlowSet
        # dues not shipped within `dues_carry_months` of falling due lapse (oldest shipped first)
        carry = view.raw("soviet_union.dues_carry_months")
        self.carry_months = int(carry) if carry is not None else model.window.n_months
        starts = np.zeros((1, R), dtype=np.int64) if dues_starts is None else dues_starts
        self.n_tiers = starts.shape[0]
        # the agreement slot served at each position, per run: earliest in force first
        self.seniority = np.argsort(starts, axis=0, kind="stable")[:, :, None]  # (K, R, 1)
        # dues by age (a ring: slot `head` is this month's), then agreement by seniority
        self.dues = np.zeros((self.carry_months + 1, self.n_tiers, R, G))
        self.head = 0
        self.suspended_goods = np.zeros((R, G), dtype=bool)
        self.suspension_months = np.zeros(R)
        self._stages: tuple[np.ndarray, ...] | None = None
        self._owed = np.zeros((R, G), dtype=bool)
        self._plans: dict[bool, list[tuple]] = {}  # _route_plans: looked up on first use
        self.threatened = np.zeros(R, dtype=bool)

    # supply ---------------------------------------------------------------------------
    def produce(self, month: int, year_position: int) -> None:
        output = self.surplus.copy()
        if calendar_month(month) == self.harvest_calendar_month:
            factor = self.harvest_year_factor.get(month // 12, 1.0)
            output[:, self.harvest_good] += (
                self.harvest_exportable * factor * self.harvest_shock[:, year_position]
            )
        self.ledger.produce(output)
        self.ledger.consume(output * self.other_buyers_share * self.goods.raw[None, :])

    def sell_elsewhere(self) -> None:
        """What the pool holds beyond its cap goes to the Soviet reserve and home use."""
        cap = self.surplus * (1.0 - self.other_buyers_share) * self.pool_cap_months
        cap[:, self.harvest_good] = np.maximum(
            cap[:, self.harvest_good], self.harvest_exportable * 1.2
        )
        self.ledger.consume(np.maximum(self.ledger.stock - cap, 0.0) * self.goods.raw[None, :])

    # the policy's monthly review ------------------------------------------------------
    def review(self, ctx: PolicyMonth, treaty_starts: np.ndarray) -> np.ndarray:
        """Let the policy rules look at the clearing account; return Germany's catch-up share (R,)."""
        catch_up = np.zeros(len(ctx.trading))
        for rule in self.policy.acting("review"):
            catch_up = np.maximum(catch_up, rule.review(ctx, treaty_starts))
        return catch_up

    # deliveries -----------------------------------------------------------------------
    def treaty_offer(
        self,
        due_this_month: np.ndarray,
        ctx: PolicyMonth,
        treaty_held: np.ndarray,
        threatened: np.ndarray,
    ) -> np.ndarray:
        """What the USSR ships this month (R, G), and why not more (``self.binding``).

        ``due_this_month`` and ``treaty_held`` are (K, R, G) by agreement slot; each stage
        below works on the agreements by seniority (axis 0).
        """
        by_seniority = self._by_seniority(due_this_month)
        oldest = (self.head - 1) % len(self.dues)  # becomes this month's slot
        self.dues[oldest] = by_seniority
        self.head = oldest
        trading = ctx.trading[None, :, None]
        outstanding = self.dues.sum(axis=0) * trading
        supplied = _serve_goods(outstanding, self.ledger.stock)
        held = self._by_seniority(treaty_held)
        for rule in self.policy.acting("held_back"):
            extra = rule.held_back(ctx.month)
            if extra is not None:
                held = held | extra[None]
        self.suspended_goods = held.any(axis=0) & ctx.trading[:, None]
        released = supplied * ~held
        paced = self._pace(released, ctx, due_this_month.sum(axis=0) * ctx.trading[:, None])
        railed = shipped = paced
        for rule in self.policy.acting("routes"):
            self._owed = outstanding.sum(axis=0) > 0  # (R, G): the goods the routes are allotted to
            railed, shipped = rule.routes(shipped, self._fit_to_routes)
        self._stages = (outstanding, supplied, released, paced, railed, shipped)  # binding()
        self.threatened = threatened
        return shipped.sum(axis=0)

    def _by_seniority(self, by_slot: np.ndarray) -> np.ndarray:
        """(K, R, G) by agreement slot -> by each run's order of seniority."""
        if self.n_tiers == 1:
            return by_slot
        return np.take_along_axis(by_slot, self.seniority, axis=0)

    def _pace(self, offer: np.ndarray, ctx: PolicyMonth, due: np.ndarray) -> np.ndarray:
        """Cut each good to its own share of the value the clearing allows (``due``: (R, G) now)."""
        pacing = self.policy.acting("budget_by_good")
        if not pacing:
            return offer
        factor: np.ndarray | float = 1.0
        for rule in self.policy.acting("lead_factor"):
            factor = factor * rule.lead_factor(ctx.month)
        for rule in pacing:
            offer = _serve_goods(offer, rule.budget_by_good(ctx, factor, due, self.export_plan_rm))
        return offer

    def binding(self) -> np.ndarray:
        """Code (R, G) of the step that set this month's deliveries of each good.

        The steps are supply, suspension, pacing, rail (the border crossings) and lifting (the
        other routes of ``soviet_union.routes_by_good``: German ships for timber, row 59),
        applied in that order; the one
        that binds is the last that cut anything (over all agreements): loosening an earlier
        step would only have met the later one. ``quota`` when everything due shipped,
        ``no_dues`` when nothing was due (codes of :data:`model.actors.soviet_policy.BINDING`).
        Computed only when it is recorded.
        """
        if self._stages is None:
            return np.zeros(self.ledger.stock.shape, dtype=np.int8)
        steps = [stage[0] if len(stage) == 1 else stage.sum(axis=0) for stage in self._stages]
        code = np.full(steps[0].shape, BINDING_CODE["quota"], dtype=np.int8)
        for i, (before, after) in enumerate(zip(steps[:-1], steps[1:], strict=True)):
            code[before - after > 1e-9 * np.maximum(before, 1.0)] = BINDING_CODE["supply"] + i
        code[steps[0] <= 1e-9] = BINDING_CODE["no_dues"]
        return code

    def _fit_to_routes(self, offer: np.ndarray, rail: bool) -> np.ndarray:
        """Load no more than each Soviet route can take after the other flows booked on it.

        ``rail``: the goods of the border railway (the crossings with their gauge change):
        the USSR plans its shipments within the tonnage the crossings can transship this
        month after the Far Eastern transit and the purchases it has accepted (rows 49,
        79-85). Otherwise the goods of the routes in ``soviet_union.routes_by_good`` (timber
        by sea, lifted by German ships: row 59's under-lifting). What does not fit stays in
        the pool and its dues are carried forward; on one route every good is cut in the
        same proportion (no record of how wagons or holds were allotted).
        """
        out = offer
        for cols, plan, routes in self._route_plans(rail):
            room = np.full(offer.shape[1], np.inf)
            for route, lanes, lane_tonnes in routes:
                booked = (self.model.flows.requests[lanes] * lane_tonnes).sum(axis=0)
                capacity = route.capacity(self.model.month)
                room = np.minimum(room, np.maximum(capacity - booked, 0.0))
            out = out.copy() if out is offer else out
            out[..., cols] = self._allot(offer, room, cols, plan)
        return out

    def _route_plans(self, rail: bool) -> list[tuple]:
        """Per Soviet flow on (``rail``) or off the border railway, looked up once: its goods,
        its part of the export plan (R, G) and, for each of its routes, the route, the lanes of
        the other flows booked on it and their tonnes per unit (lanes, 1)."""
        plans = self._plans.get(rail)
        if plans is None:
            flows = self.model.flows
            own = set(self.flow_index)
            tonnes = self.goods.tonnes_per_unit
            plans = []
            for f in self.flow_index:
                spec = flows.specs[f]
                if (SOVIET_ROUTE in spec.route_ids) != rail:
                    continue
                mask = np.zeros(self.goods.n, dtype=bool)
                mask[list(spec.goods)] = True
                routes = []
                for route_id in spec.route_ids:
                    lanes = flows.lanes_of([g for g in flows.through(route_id) if g not in own])
                    lane_tonnes = tonnes[flows.lane_good[lanes]][:, None]
                    routes.append((self.model.network.routes[route_id], lanes, lane_tonnes))
                plans.append((np.flatnonzero(mask), self.export_plan_t * mask[None, :], routes))
            self._plans[rail] = plans
        return plans

    def _allot(
        self, offer: np.ndarray, room: np.ndarray, cols: np.ndarray, plan: np.ndarray
    ) -> np.ndarray:
        """Share a route's room (R,) among its goods (``cols``) by the export plan, not by demand.

        Each good owed this month (outstanding treaty dues, whether or not the pool, a
        suspension or the pacing lets any of it go) gets the share of the room that its
        planned export to Germany (the monthly surplus less other buyers' share; the
        harvest's exportable grain over 12 months) has among the route's goods owed; what a
        good leaves unused is not switched to another within the month (tank cars, covered
        and ore wagons are not interchangeable; no record of the freight plan: an analogy
        with a planned economy's wagon allotments). So asking more of a good never takes
        room from another: the route cuts a good only when its own dues exceed its allotment.
        ``plan``: the export plan (R, G) in tonnes on the route's goods, 0 elsewhere; returns
        the offer (K, R, len(cols)) of the route's goods.
        """
        tonnes = self.goods.tonnes_per_unit
        plan = plan * self._owed
        total = plan.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            allotted = np.where(total > 0, plan[:, cols] / np.where(total > 0, total, 1.0), 0.0)
            allotted = allotted * room[:, None]  # (R, goods) tonnes
            need = (offer.sum(axis=0) * tonnes[None, :])[:, cols]  # over agreements: not BLAS
            scale = np.where(need > allotted, allotted / np.where(need > 0, need, 1.0), 1.0)
        return offer[..., cols] * scale[None]

    def record_shipped(self, loaded: np.ndarray) -> None:
        """Shipments settle the earliest agreement's dues first, and within it the oldest."""
        for rule in self.policy.acting("record"):
            rule.record(self.model.month, loaded)
        left = loaded.copy()
        n = len(self.dues)
        for k in range(self.n_tiers):
            for age in range(n - 1, -1, -1):
                dues = self.dues[(self.head + age) % n, k]
                settled = np.minimum(dues, left)
                dues -= settled
                left -= settled
        self.suspension_months += self.suspended_goods.any(axis=1)

    @property
    def machinery_gains_rm(self) -> np.ndarray:
        """German machinery received, by good (R, G), in RM."""
        return (
            self.ledger.stock
            * self.goods.machinery[None, :]
            * self.goods.price_rm_per_unit[None, :]
        )


def flow_specs(view: ParameterView, goods: GoodsCatalogue) -> list[FlowSpec]:
    """The Soviet deliveries' flows to Germany: raw goods leave by the border railway unless
    ``soviet_union.routes_by_good`` names another route (timber lifted by German ships,
    row 59), one flow per route."""
    by_route = {goods.index(g): r for g, r in view.raw("soviet_union.routes_by_good").items()}
    raw = [int(g) for g in np.flatnonzero(goods.raw)]
    rail = tuple(g for g in raw if g not in by_route)
    specs = [FlowSpec("soviet_union->germany", "soviet_union", "germany", (SOVIET_ROUTE,), rail)]
    for route in sorted(set(by_route.values())):
        on_route = tuple(g for g in raw if by_route.get(g) == route)
        name = f"soviet_union->germany via {route}"
        specs.append(FlowSpec(name, "soviet_union", "germany", (route,), on_route))
    return specs


def _serve_goods(amounts: np.ndarray, available: np.ndarray) -> np.ndarray:
    """Share ``available`` (R, G) among ``amounts`` (K, R, G), position 0 first, good by good."""
    out = np.empty_like(amounts)
    left = available.copy()
    for k in range(len(amounts)):
        out[k] = np.minimum(amounts[k], left)
        left -= out[k]
    return out
