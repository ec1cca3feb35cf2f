"""HTML: a resident's matches and plans, the plan form, plan pages, the review list."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from assist.catalog import services as catalog_services
from assist.catalog.models import ServiceItem
from assist.core.db import commit
from assist.core.errors import AppError, ValidationError
from assist.core.forms import apply_errors, flash_invalid
from assist.core.pagination import parse_limit
from assist.core.permissions import roles
from assist.core.scoping import get_or_404
from assist.core.timeutil import local_today
from assist.core.validation import Invalid, field_error
from assist.extensions import db
from assist.plans import defaults, eligibility, recurrence, services
from assist.plans.forms import DecisionForm, EndPlanForm, PlanForm
from assist.plans.models import Plan
from assist.providers.models import Provider, ProviderItem
from assist.residents.conditions import ASSISTANCE_TITLES
from assist.residents.models import Resident

bp = Blueprint("plans", __name__)

READERS = ("admin", "caseworker", "auditor")
WRITERS = ("admin", "caseworker")


@bp.get("/residents/<int:resident_id>/matching")
@roles(*READERS)
def matching(resident_id: int):
    resident = get_or_404(Resident, resident_id, current_user)
    matches = eligibility.matches(resident)
    items = {i.code: i for i in catalog_services.items()}
    planned = {p.item_code for p in services.plans_of(resident) if p.status == "active"}
    by_category: dict[str, list] = {}
    for m in matches:
        by_category.setdefault(m["item_code"][0], []).append(m)
    return render_template("plans/matching.html", r=resident, by_category=by_category, items=items,
                           categories=catalog_services.categories(), plans=services.plans_of(resident),
                           planned=planned, decision_form=DecisionForm(), can_write=current_user.role in WRITERS,
                           describe=recurrence.describe)


@bp.post("/residents/<int:resident_id>/decisions")
@roles(*WRITERS)
def decide(resident_id: int):
    resident = get_or_404(Resident, resident_id, current_user)
    form = DecisionForm()
    try:
        if request.form.get("revoke"):
            services.revoke_decision(resident, form.item_code.data, current_user)
        else:
            services.record_decision(resident, form.item_code.data, {"kind": form.kind.data,
                                                                     "reason": form.reason.data}, current_user)
        commit()
        flash(_("Decision recorded."), "success")
    except AppError as exc:
        flash(" ".join([str(m) for ms in exc.fields.values() for m in ms] or [str(exc.message)]), "danger")
    return redirect(url_for("plans.matching", resident_id=resident_id) + f"#item-{form.item_code.data}")


def _providers_for(resident: Resident, item_code: str | None) -> list[tuple[str, str]]:
    stmt = sa.select(Provider).where(Provider.active.is_(True)).order_by(Provider.name)
    if item_code:
        stmt = stmt.where(Provider.id.in_(sa.select(ProviderItem.provider_id).where(ProviderItem.item_code == item_code)))
    providers = db.session.scalars(stmt).all()
    serving = [p for p in providers if p.serves(resident.area)]
    others = [p for p in providers if p not in serving]
    return [(str(p.id), p.name) for p in serving] + [(str(p.id), p.name + " " + _("(does not serve this area)"))
                                                     for p in others]


def _prefill(form: PlanForm, resident: Resident, item_code: str) -> str:
    """Fill the form with the recommended frequency; returns it in words for the page."""
    pre = defaults.for_resident(item_code, resident)
    parts = recurrence.split(pre.rrule)
    form.pattern.data, form.interval.data = parts["pattern"], int(parts["interval"] or 1)
    form.weekdays.data, form.month_days.data, form.rrule.data = parts["weekdays"], parts["month_days"], parts["custom"]
    form.start_date.data = local_today() + dt.timedelta(days=1)
    form.start_time.data = "09:00"
    form.duration_minutes.data = str(pre.duration_minutes)
    form.quantity_per_visit.data = f"{pre.quantity_per_visit:g}"
    form.monthly_cap.data = str(pre.monthly_cap)
    form.item_code.data = item_code
    return pre.text


def _payload(form: PlanForm) -> dict:
    data = {"resident_id": form.resident_id.data, "item_code": form.item_code.data,
            "provider_id": form.provider_id.data or None, "start_date": request.form.get("start_date") or None,
            "end_date": request.form.get("end_date") or None, "start_time": form.start_time.data or None,
            "duration_minutes": form.duration_minutes.data or None,
            "quantity_per_visit": form.quantity_per_visit.data or None, "monthly_cap": form.monthly_cap.data or None,
            "notes": form.notes.data, "override_reason": form.override_reason.data}
    try:
        data["rrule"] = recurrence.build(form.pattern.data, request.form.get("interval"), form.weekdays.data,
                                         form.month_days.data, form.rrule.data)
    except Invalid as exc:  # shown on the rule field
        data["rrule"] = None
        data["_rrule_error"] = str(exc)
    return data


@bp.route("/plans/new", methods=["GET", "POST"])
@roles(*WRITERS)
def new():
    resident = get_or_404(Resident, request.values.get("resident_id"), current_user)
    item_code = (request.values.get("item_code") or "A1").upper()[:4]
    form = PlanForm()
    form.resident_id.data = str(resident.id)
    form.item_code.choices = [(i.code, f"{i.code} {i.name}") for i in catalog_services.items() if i.active]
    form.provider_id.choices = [("", "—")] + _providers_for(resident, item_code)
    verdict = next((v for v in eligibility.verdicts(resident) if v.item_code == item_code), None)
    recommended = None
    if request.method == "GET":
        recommended = _prefill(form, resident, item_code)
        if len(form.provider_id.choices) > 1:
            form.provider_id.data = form.provider_id.choices[1][0]
    else:
        data = _payload(form)
        try:
            rrule_error = data.pop("_rrule_error", None)
            if rrule_error:
                raise field_error("rrule", rrule_error, _("Recurrence"))
            plan, warnings = services.create(data, current_user)
            commit()
        except ValidationError as exc:
            apply_errors(form, exc)
            flash(flash_invalid(), "danger")
        except AppError as exc:
            form.form_errors.append(str(exc.message))
        else:
            flash(_("Plan created for %(name)s: %(item)s.", name=resident.name, item=plan.item.name), "success")
            for w in warnings:
                flash(w, "warning")
            return redirect(url_for("plans.matching", resident_id=resident.id))
    return render_template("plans/form.html", form=form, r=resident, item=db.session.get(ServiceItem, item_code),
                           verdict=verdict, recommended=recommended), 422 if form.errors or form.form_errors else 200


@bp.get("/plans/<int:plan_id>")
@roles(*READERS, "provider")
def detail(plan_id: int):
    plan = get_or_404(Plan, plan_id, current_user)
    return render_template("plans/detail.html", plan=plan, end_form=EndPlanForm(),
                           describe=recurrence.describe, can_write=current_user.role in WRITERS)


@bp.post("/plans/<int:plan_id>/end")
@roles(*WRITERS)
def end(plan_id: int):
    plan = get_or_404(Plan, plan_id, current_user)
    form = EndPlanForm()
    try:
        services.end(plan, {"reason": form.reason.data, "end_date": request.form.get("end_date") or None}, current_user)
        commit()
        flash(_("Plan ended."), "success")
    except AppError as exc:
        flash(" ".join([str(m) for ms in exc.fields.values() for m in ms] or [str(exc.message)]), "danger")
    return redirect(url_for("plans.detail", plan_id=plan_id))


@bp.post("/plans/<int:plan_id>/review")
@roles(*WRITERS)
def review(plan_id: int):
    plan = get_or_404(Plan, plan_id, current_user)
    try:
        services.resolve_review(plan, current_user, request.form.get("note", ""))
        commit()
        flash(_("The plan continues; your note is recorded."), "success")
    except AppError as exc:
        flash(" ".join([str(m) for ms in exc.fields.values() for m in ms] or [str(exc.message)]), "danger")
    return redirect(url_for("plans.detail", plan_id=plan_id))


@bp.get("/plans/")
@roles(*READERS)
def index():
    page = services.list_plans(current_user, request.args, limit=parse_limit(request.args.get("limit"), 50),
                               cursor=request.args.get("cursor"))
    return render_template("plans/index.html", page=page, args=request.args, describe=recurrence.describe)


def _bulk_args():
    item = (request.args.get("item_code") or "").upper()[:2] or None
    category = (request.args.get("category") or "").upper()[:1] or None
    area = request.args.get("area_code") or None
    return item, category, area


@bp.get("/matching/")
@roles(*READERS)
def bulk():
    from assist.areas import services as area_services
    from assist.plans import bulk as bulk_service
    item, category, area = _bulk_args()
    result = bulk_service.run(current_user, item_code=item, category=category, area_code=area)
    try:
        page_no = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page_no = 1
    size = 100
    shown = result.needs[(page_no - 1) * size: page_no * size]
    return render_template("plans/bulk.html", result=result, shown=shown, page_no=page_no,
                           more=len(result.needs) > page_no * size, items={i.code: i for i in catalog_services.items()},
                           categories=catalog_services.categories(), area_choices=area_services.choices(current_user),
                           area_names=area_services.names(), groups=ASSISTANCE_TITLES, args=request.args)


@bp.get("/matching/unmet.xlsx")
@roles(*READERS)
def bulk_export():
    from flask import Response

    from assist.core import audit
    from assist.plans import bulk as bulk_service
    from assist.plans.exports import unmet_xlsx
    item, category, area = _bulk_args()
    result = bulk_service.run(current_user, item_code=item, category=category, area_code=area)
    audit.record("export", "plan", None, {"report": "unmet_needs", "item_code": item, "category": category,
                                          "area_code": area, "rows": len(result.needs)}, actor=current_user)
    commit()
    return Response(unmet_xlsx(result), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=unmet-needs.xlsx"})
