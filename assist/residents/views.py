"""HTML pages of the register: list/search, register, view, edit, status changes."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from assist.areas import services as area_services
from assist.core.audit import AuditEntry
from assist.core.db import commit
from assist.core.errors import AppError, Conflict, StaleVersion, ValidationError
from assist.core.forms import apply_errors, flash_invalid
from assist.core.pagination import parse_limit
from assist.core.permissions import roles
from assist.core.scoping import get_or_404
from assist.extensions import db
from assist.residents import services
from assist.residents.conditions import (ASSISTANCE_TITLES, BOOL_KEYS, CHILD_STATUS_TITLES, CONDITIONS,
                                         DISABILITY_TITLES, SELF_CARE_TITLES, STATUS_REASON_TITLES, STATUS_TITLES)
from assist.residents.forms import ResidentForm, StatusForm
from assist.residents.models import Resident

bp = Blueprint("residents", __name__, url_prefix="/residents")

READERS = ("admin", "caseworker", "auditor")
WRITERS = ("admin", "caseworker")


def _titles() -> dict:
    return {"assistance": ASSISTANCE_TITLES, "status": STATUS_TITLES, "reason": STATUS_REASON_TITLES,
            "child": CHILD_STATUS_TITLES, "self_care": SELF_CARE_TITLES, "disability": DISABILITY_TITLES}


@bp.get("/")
@roles(*READERS)
def index():
    filters = services.Filters.from_args(request.args)
    try:
        page = services.search(current_user, filters, limit=parse_limit(request.args.get("limit"), 30),
                               cursor=request.args.get("cursor"))
        error = None
    except ValidationError as exc:
        page, error = None, "; ".join(str(m) for ms in exc.fields.values() for m in ms)
    return render_template("residents/index.html", page=page, filters=filters, error=error,
                           area_choices=area_services.choices(current_user),
                           conditions=[c for c in CONDITIONS if c.key in BOOL_KEYS], titles=_titles(),
                           can_write=current_user.role in WRITERS, args=request.args)


def _form_payload(form: ResidentForm) -> dict:
    """Form → the same dict shape the API takes, so one service validates both."""
    data = {k: (getattr(form, k).data or "") for k in (
        "id_number", "name", "phone", "address", "area_code", "assistance_type", "emergency_contact_name",
        "emergency_contact_phone")}
    for key in ("assistance_since", "assessed_on"):
        raw = request.form.get(key, "").strip()
        data[key] = raw or None
    conditions = {}
    for cond in CONDITIONS:
        value = getattr(form, cond.key).data
        conditions[cond.key] = bool(value) if cond.kind == "bool" else value
    data["conditions"] = conditions
    data["household"] = [
        {k: (row.form[k].data or "").strip() or None for k in ("relation", "name", "id_number", "phone")}
        for row in form.household if (row.form.name.data or "").strip() or (row.form.relation.data or "").strip()]
    return data


def _prepare(form: ResidentForm) -> None:
    form.area_code.choices = [("", "—")] + area_services.choices(current_user, levels=("community", "grid"))


def _date_errors(form: ResidentForm) -> dict:
    """WTForms' own date parsing failed: report it through the service's message format."""
    errors = {}
    for key in ("assistance_since", "assessed_on"):
        if getattr(form, key).errors:
            errors[key] = [_("%(field)s: %(message)s", field=str(getattr(form, key).label.text),
                             message=_("must be a date written YYYY-MM-DD"))]
            getattr(form, key).errors = []
    return errors


@bp.route("/new", methods=["GET", "POST"])
@roles(*WRITERS)
def new():
    form = ResidentForm()
    _prepare(form)
    duplicate = None
    if request.method == "POST":
        form.validate()
        try:
            if _date_errors(form):
                raise ValidationError(fields=_date_errors(form))
            resident = services.register(_form_payload(form), current_user)
            commit()
        except ValidationError as exc:
            apply_errors(form, exc)
            flash(flash_invalid(), "danger")
        except Conflict as exc:
            duplicate = exc.extra.get("existing_id")
            form.id_number.errors = list(form.id_number.errors) + [str(exc.message)]
        else:
            flash(_("%(name)s registered.", name=resident.name), "success")
            return redirect(url_for("residents.detail", resident_id=resident.id))
    return render_template("residents/form.html", form=form, resident=None, duplicate=duplicate,
                           conditions=CONDITIONS, stale=None), 422 if form.errors or duplicate else 200


@bp.get("/<int:resident_id>")
@roles(*READERS)
def detail(resident_id: int):
    resident = get_or_404(Resident, resident_id, current_user)
    status_form = StatusForm(version=resident.version)
    status_form.status.choices = [(k, v) for k, v in STATUS_TITLES.items()
                                  if k in services.ALLOWED_STATUS[resident.status]]
    return render_template("residents/detail.html", r=resident, titles=_titles(), conditions=CONDITIONS,
                           status_form=status_form, can_write=current_user.role in WRITERS)


@bp.route("/<int:resident_id>/edit", methods=["GET", "POST"])
@roles(*WRITERS)
def edit(resident_id: int):
    resident = get_or_404(Resident, resident_id, current_user)
    stale = None
    if request.method == "GET":
        form = ResidentForm(obj=resident)
        form.id_number.data = resident.id_number_masked
        form.version.data = resident.version
        for cond in CONDITIONS:
            value = getattr(resident, cond.key)
            getattr(form, cond.key).data = str(value) if cond.kind == "level" else value
        form.household.entries = []
        for member in resident.household + [None] * 2:
            form.household.append_entry({"relation": member.relation, "name": member.name,
                                         "id_number": "", "phone": member.phone_enc} if member else None)
    else:
        form = ResidentForm()
    _prepare(form)
    if request.method == "POST":
        form.validate()
        payload = _form_payload(form)
        # The masked number shown in the form means "unchanged".
        if "*" in payload["id_number"]:
            payload.pop("id_number")
        payload["version"] = form.version.data
        try:
            if _date_errors(form):
                raise ValidationError(fields=_date_errors(form))
            services.update(resident, payload, current_user)
            commit()
        except ValidationError as exc:
            apply_errors(form, exc)
            flash(flash_invalid(), "danger")
        except StaleVersion:
            db.session.rollback()
            resident = get_or_404(Resident, resident_id, current_user)
            stale = _changed_meanwhile(resident, payload)
            form.version.data = resident.version
            flash(_("Someone else changed this record while you were editing. Your input is kept below; "
                    "check the differences and save again."), "warning")
        except Conflict as exc:
            form.id_number.errors = list(form.id_number.errors) + [str(exc.message)]
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("residents.detail", resident_id=resident.id))
    status = 409 if stale else 422 if form.errors else 200
    return render_template("residents/form.html", form=form, resident=resident, duplicate=None,
                           conditions=CONDITIONS, stale=stale), status


def _changed_meanwhile(resident: Resident, payload: dict) -> dict:
    """What the stored record says now, where it differs from what the user typed, and who changed it."""
    stored = resident.to_dict()
    diffs = []
    for key, value in payload.items():
        if key in ("version", "household", "id_number", "assessed_on"):
            continue
        if key == "conditions":
            for ck, cv in value.items():
                if stored["conditions"].get(ck) != (int(cv) if ck in ("self_care_level", "disability_grade") else cv):
                    diffs.append((ck, stored["conditions"].get(ck), cv))
            continue
        now = stored.get(key)
        if (now or "") != (value or ""):
            diffs.append((key, now, value))
    last = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.object_type == "resident",
                                                          AuditEntry.object_id == str(resident.id))
                              .order_by(AuditEntry.seq.desc()).limit(1)).first()
    return {"diffs": diffs, "by": last.actor if last else None, "at": last.at if last else None}


@bp.post("/<int:resident_id>/status")
@roles(*WRITERS)
def change_status(resident_id: int):
    resident = get_or_404(Resident, resident_id, current_user)
    form = StatusForm()
    data = {"status": form.status.data, "reason": form.reason.data, "reason_kind": form.reason_kind.data or None,
            "effective_on": request.form.get("effective_on") or None, "version": form.version.data}
    try:
        services.change_status(resident, data, current_user)
        commit()
        flash(_("Status changed."), "success")
    except AppError as exc:
        messages = [str(m) for ms in exc.fields.values() for m in ms] or [str(exc.message)]
        flash(" ".join(messages), "danger")
    return redirect(url_for("residents.detail", resident_id=resident_id))
