"""HTML pages of the register: list/search, register, view, edit, status changes."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from assist.areas import services as area_services
from assist.core.audit import AuditEntry
from assist.core.crypto import mask_id_number
from assist.core.db import commit
from assist.core.errors import AppError, Conflict, StaleVersion, ValidationError
from assist.core.forms import apply_errors, flash_invalid
from assist.core.pagination import parse_limit
from assist.core.permissions import roles
from assist.core.scoping import get_or_404
from assist.extensions import db
from assist.residents import services
from assist.residents.conditions import (ASSISTANCE_TITLES, BOOL_KEYS, CHILD_STATUS_TITLES, CONDITION_KEYS, CONDITIONS,
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
    """Form → the same dict shape the API takes, so one service validates both (dates and the
    selects go in as typed: the service, not WTForms, says what is wrong with them)."""
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
    # Every row with anything typed in it goes to the service: a row with a name missing is an error
    # to show, not something to drop silently.
    rows = [{k: (row.form[k].data or "").strip() or None for k in ("relation", "name", "id_number", "phone")}
            for row in form.household]
    data["household"] = [r for r in rows if any(r.values())]
    return data


def _prepare(form: ResidentForm) -> None:
    form.area_code.choices = [("", "—")] + area_services.choices(current_user, levels=("community", "grid"))


def _page(form: ResidentForm, resident: Resident | None, *, duplicate=None, stale=None, status: int | None = None):
    if status is None:
        status = 422 if form.errors or duplicate else 200
    return render_template("residents/form.html", form=form, resident=resident, duplicate=duplicate,
                           conditions=CONDITIONS, stale=stale), status


@bp.route("/new", methods=["GET", "POST"])
@roles(*WRITERS)
def new():
    form = ResidentForm()
    _prepare(form)
    duplicate = None
    if request.method == "POST":
        try:
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
    return _page(form, None, duplicate=duplicate)


@bp.get("/<int:resident_id>")
@roles(*READERS)
def detail(resident_id: int):
    resident = get_or_404(Resident, resident_id, current_user)
    services.record_view(resident, current_user)
    commit()
    status_form = StatusForm(version=resident.version)
    status_form.status.choices = [(k, v) for k, v in STATUS_TITLES.items()
                                  if k in services.ALLOWED_STATUS[resident.status]]
    return render_template("residents/detail.html", r=resident, titles=_titles(), conditions=CONDITIONS,
                           status_form=status_form, can_write=current_user.role in WRITERS)


def _unmask_household(payload: dict, resident: Resident) -> None:
    """The edit form shows household members' ID numbers masked; a masked number sent back means
    "unchanged", so put the stored number back (else every save would erase them)."""
    stored = [m.id_number_enc for m in resident.household if m.id_number_enc]
    for row in payload.get("household") or []:
        value = row.get("id_number") or ""
        if "*" in value:
            match = next((n for n in stored if mask_id_number(n) == value), None)
            if match:
                stored.remove(match)
                row["id_number"] = match


@bp.route("/<int:resident_id>/edit", methods=["GET", "POST"])
@roles(*WRITERS)
def edit(resident_id: int):
    resident = get_or_404(Resident, resident_id, current_user)
    stale = duplicate = None
    if request.method == "GET":
        form = ResidentForm(obj=resident)
        form.id_number.data = resident.id_number_masked
        form.version.data = resident.version
        # Left empty: changed conditions are a new assessment dated today, unchanged ones none.
        form.assessed_on.data = None
        for cond in CONDITIONS:
            value = getattr(resident, cond.key)
            getattr(form, cond.key).data = str(value) if cond.kind == "level" else value
        form.household.entries, form.household.last_index = [], -1
        blanks = max(0, min(2, form.household.max_entries - len(resident.household)))
        for member in resident.household + [None] * blanks:
            form.household.append_entry({"relation": member.relation, "name": member.name,
                                         "id_number": mask_id_number(member.id_number_enc) or "",
                                         "phone": member.phone_enc} if member else None)
    else:
        form = ResidentForm()
    _prepare(form)
    if request.method == "POST":
        payload = _form_payload(form)
        # The masked number shown in the form means "unchanged".
        if "*" in payload["id_number"]:
            payload.pop("id_number")
        _unmask_household(payload, resident)
        payload["version"] = form.version.data
        try:
            services.update(resident, payload, current_user)
            commit()
        except ValidationError as exc:
            apply_errors(form, exc)
            flash(flash_invalid(), "danger")
        except StaleVersion:
            db.session.rollback()
            resident = get_or_404(Resident, resident_id, current_user)
            stale = _changed_meanwhile(resident, payload, form)
            form.version.data = resident.version
            flash(_("Someone else changed this record while you were editing. Your input is kept below; "
                    "check the differences and save again."), "warning")
        except Conflict as exc:
            duplicate = exc.extra.get("existing_id")
            form.id_number.errors = list(form.id_number.errors) + [str(exc.message)]
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("residents.detail", resident_id=resident.id))
    return _page(form, resident, duplicate=duplicate, stale=stale, status=409 if stale else None)


_LEVEL_TITLES = {"self_care_level": SELF_CARE_TITLES, "disability_grade": DISABILITY_TITLES}


def _shown(key: str, value) -> str:
    """A stored or typed value as a reader recognises it (names, not codes)."""
    if value is None or value == "" or value == []:
        return "—"
    if key == "area_code":
        return area_services.names().get(str(value), str(value))
    if key == "assistance_type":
        return str(ASSISTANCE_TITLES.get(value, value))
    if key == "status":
        return str(STATUS_TITLES.get(value, value))
    if key == "child_status":
        return str(CHILD_STATUS_TITLES.get(value, value))
    if key in _LEVEL_TITLES:
        try:
            return str(_LEVEL_TITLES[key][int(value)])
        except (KeyError, TypeError, ValueError):
            return str(value)
    if key == "household":
        return "; ".join(" ".join(str(m.get(k) or "") for k in ("relation", "name")).strip() for m in value) or "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def _label(form: ResidentForm, key: str) -> str:
    if key in form:
        return str(form[key].label.text)
    return str(services.LABELS.get(key) or {"id_number_masked": services.LABELS["id_number"],
                                            "birth_date": _("Birth date"), "gender": _("Gender")}.get(key, key))


def _changed_meanwhile(resident: Resident, payload: dict, form: ResidentForm) -> dict:
    """What others changed since the version the user's edit was based on (from the audit log, whose
    entries carry the version step), each with the value stored now and the user's input."""
    try:
        based_on = int(payload.get("version"))
    except (TypeError, ValueError):
        based_on = 0
    entries = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.object_type == "resident", AuditEntry.object_id == str(resident.id),
        AuditEntry.action.in_(("update", "status"))).order_by(AuditEntry.seq.desc()).limit(50)).all()
    meanwhile = []
    for entry in entries:
        step = (entry.changes or {}).get("version")
        if isinstance(step, list) and len(step) == 2 and isinstance(step[0], int) and step[0] >= based_on:
            meanwhile.append(entry)
    keys: list[str] = []
    for entry in reversed(meanwhile):
        for key, change in entry.changes.items():
            if key in ("version", "reason", "reason_kind"):
                continue
            if key == "conditions" and isinstance(change, list) and len(change) == 2 \
                    and isinstance(change[0], dict) and isinstance(change[1], dict):
                subkeys = [k for k in CONDITION_KEYS if change[0].get(k) != change[1].get(k)]
            else:
                subkeys = [key]
            keys.extend(k for k in subkeys if k not in keys)
    stored = resident.to_dict()
    stored["id_number_masked"] = resident.id_number_masked
    mine_conditions = payload.get("conditions") or {}
    diffs = []
    for key in keys:
        if key in CONDITION_KEYS:
            now, mine = stored["conditions"].get(key), mine_conditions.get(key)
        elif key == "id_number_masked":
            now, mine = stored[key], mask_id_number(payload.get("id_number"))
        else:
            now, mine = stored.get(key), payload.get(key)
        diffs.append((_label(form, key), _shown(key, now), _shown(key, mine)))
    last = meanwhile[0] if meanwhile else None
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


from assist.residents import io_views  # noqa: E402,F401  (import and export pages, on this blueprint)
