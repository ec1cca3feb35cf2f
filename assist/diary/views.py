"""HTML pages of the needs diary: record a visit (from a phone), the problem list and its actions,
a partner unit's tasks, the overdue and satisfaction lists, the figures and their export."""
from __future__ import annotations

import datetime as dt
import io

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from assist.areas import services as area_services
from assist.core import uploads
from assist.core.db import commit
from assist.core.errors import AppError, Conflict, NotFound, ValidationError
from assist.core.forms import apply_errors, flash_invalid
from assist.core.pagination import parse_limit
from assist.core.permissions import roles
from assist.core.scoping import get_or_404, scoped
from assist.core.timeutil import LOCAL_TZ, local_today
from assist.diary import export, figures, services
from assist.diary.forms import (AcceptForm, DiaryForm, DispatchForm, FeedbackForm, PhotoForm, ResolveForm,
                                ReturnForm)
from assist.diary.models import DiaryEntry, Problem
from assist.extensions import db
from assist.residents.models import Resident
from assist.units import services as unit_services

bp = Blueprint("diary", __name__, url_prefix="/diary")

STAFF = ("admin", "caseworker", "auditor")
WRITERS = ("admin", "caseworker")
MAX_RESIDENT_CHOICES = 1500
ACTION_FORMS = {"dispatch": DispatchForm, "accept": AcceptForm, "return": ReturnForm, "resolve": ResolveForm,
                "feedback": FeedbackForm}


def _titles() -> dict:
    return {"kind": services.KIND_TITLES, "status": services.STATUS_TITLES,
            "escalation": services.ESCALATION_TITLES, "event": services.EVENT_TITLES}


def _messages(exc: AppError) -> str:
    return " ".join([str(m) for ms in exc.fields.values() for m in ms] or [str(exc.message)])


# --- visit records --------------------------------------------------------------------------------

@bp.get("/")
@roles(*STAFF)
def index():
    try:
        page = services.list_entries(current_user, request.args, limit=parse_limit(request.args.get("limit"), 30),
                                     cursor=request.args.get("cursor"))
        error = None
    except ValidationError as exc:
        page, error = None, _messages(exc)
    return render_template("diary/index.html", page=page, error=error, args=request.args,
                           area_choices=area_services.choices(current_user),
                           can_write=current_user.role in WRITERS, titles=_titles())


def _resident_choices() -> list[tuple[str, str]]:
    stmt = scoped(sa.select(Resident), Resident, current_user).where(Resident.status != "terminated")
    residents = db.session.scalars(stmt.order_by(Resident.area_code, Resident.name_pinyin)
                                   .limit(MAX_RESIDENT_CHOICES)).all()
    return [("", _("— not a registered resident —"))] + [
        (str(r.id), f"{r.name} · {r.area.name} · {r.id_number_masked[-4:]}") for r in residents]


def _prepare_entry(form: DiaryForm) -> None:
    form.area_code.choices = [("", "—")] + area_services.choices(current_user, levels=("community", "grid"))
    form.resident_id.choices = _resident_choices()


def _local_input(value: dt.datetime) -> str:
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


def _with_offset(raw: str | None) -> str | None:
    """A datetime-local value ("2026-05-01T09:30") is local time in the bureau's zone."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        return raw  # the service names the field
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.isoformat()


def _entry_payload(form: DiaryForm) -> dict:
    needs = [{"kind": row.form.kind.data, "description": row.form.description.data}
             for row in form.needs if (row.form.description.data or "").strip()]
    return {"area_code": form.area_code.data or None, "visited_at": _with_offset(form.visited_at.data),
            "resident_id": form.resident_id.data or None, "household": form.household.data,
            "address": form.address.data, "visitors": form.visitors.data, "notes": form.notes.data,
            "needs": needs}


@bp.route("/new", methods=["GET", "POST"])
@roles(*WRITERS)
def new():
    form = DiaryForm()
    _prepare_entry(form)
    if request.method == "GET":
        form.visited_at.data = _local_input(dt.datetime.now(LOCAL_TZ))
        form.visitors.data = current_user.label
        resident_id = request.args.get("resident_id", "")
        if resident_id.isdigit():
            try:
                resident = get_or_404(Resident, resident_id, current_user)
                form.resident_id.data, form.area_code.data = str(resident.id), resident.area_code
            except NotFound:
                pass
        if not form.area_code.data and len(form.area_code.choices) == 2:
            form.area_code.data = form.area_code.choices[1][0]
    else:
        try:
            entry = services.record_entry(_entry_payload(form), current_user, photos=request.files.getlist("photos"))
            commit()
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
            flash(flash_invalid(), "danger")
        except AppError as exc:
            db.session.rollback()
            form.form_errors.append(_messages(exc))
        else:
            flash(ngettext("Visit recorded with %(num)d need.", "Visit recorded with %(num)d needs.",
                           len(entry.problems)), "success")
            return redirect(url_for("diary.detail", diary_id=entry.id))
    return render_template("diary/form.html", form=form, titles=_titles()), \
        422 if form.errors or form.form_errors else 200


@bp.get("/<int:diary_id>")
@roles(*STAFF)
def detail(diary_id: int):
    entry = get_or_404(DiaryEntry, diary_id, current_user)
    return render_template("diary/detail.html", entry=entry, titles=_titles(), photo_form=PhotoForm(),
                           can_write=current_user.role in WRITERS)


@bp.post("/<int:diary_id>/photos")
@roles(*WRITERS)
def add_photos(diary_id: int):
    entry = get_or_404(DiaryEntry, diary_id, current_user)
    try:
        rows = services.add_entry_photos(entry, request.files.getlist("photos"), current_user, field="photos")
        commit()
        flash(ngettext("%(num)d photo added.", "%(num)d photos added.", len(rows)), "success")
    except AppError as exc:
        db.session.rollback()
        flash(_messages(exc), "danger")
    return redirect(url_for("diary.detail", diary_id=diary_id))


@bp.get("/photos/<int:photo_id>")
@roles(*STAFF, "unit")
def photo(photo_id: int):
    row = services.get_photo(photo_id, current_user)
    try:
        path = uploads.absolute(row.path)
        return send_file(path, mimetype=row.content_type)
    except (ValueError, FileNotFoundError):
        raise NotFound()


# --- the problem list -----------------------------------------------------------------------------

LIST_TABS = [("", None), ("recorded,returned", "to_dispatch"), ("dispatched,accepted", "with_units"),
             ("overdue", "overdue"), ("resolved", "awaiting_answer"), ("closed", "satisfaction")]


@bp.get("/problems/")
@roles(*STAFF)
def problems():
    status = request.args.get("status", "")
    try:
        page = services.list_problems(current_user, request.args, limit=parse_limit(request.args.get("limit"), 50),
                                      cursor=request.args.get("cursor"))
        error = None
    except ValidationError as exc:
        page, error = None, _messages(exc)
    status_tabs = [(value, {"": _("All"), "recorded,returned": _("To dispatch"), "dispatched,accepted": _("With units"),
                     "overdue": _("Overdue (escalated)"), "resolved": _("Awaiting the resident"),
                     "closed": _("Satisfaction list")}[value]) for value, _key in LIST_TABS]
    return render_template("diary/problems.html", page=page, error=error, args=request.args, status=status,
                           status_tabs=status_tabs, titles=_titles(), area_choices=area_services.choices(current_user),
                           can_write=current_user.role in WRITERS)


@bp.get("/tasks")
@roles("unit")
def tasks():
    """A partner unit's own items: to accept, in progress, awaiting the resident, done."""
    stmt = scoped(sa.select(Problem), Problem, current_user)
    open_items = db.session.scalars(stmt.where(Problem.status != "closed")
                                    .order_by(Problem.due_date.is_(None), Problem.due_date, Problem.id)).all()
    groups = {"new": [], "doing": [], "waiting": []}
    for p in open_items:
        key = {"dispatched": "new", "overdue_dispatched": "new", "accepted": "doing", "overdue_accepted": "doing",
               "resolved": "waiting"}.get(services.phase(p))
        if key:
            groups[key].append(p)
    groups["done"] = db.session.scalars(stmt.where(Problem.status == "closed")
                                        .order_by(Problem.closed_at.desc(), Problem.id.desc()).limit(30)).all()
    return render_template("diary/tasks.html", groups=groups, titles=_titles(), today=local_today())


def _action_forms(problem: Problem, actions: list[str], posted: dict | None = None) -> dict:
    forms = {}
    for action in actions:
        form = (posted or {}).get(action) or ACTION_FORMS[action](formdata=None, version=problem.version)
        if action == "dispatch":
            form.unit_id.choices = [("", "—")] + unit_services.choices_for(problem.area_code)
            if not form.due_date.data:
                form.due_date.data = (local_today() + dt.timedelta(days=7)).isoformat()
        form.version.data = problem.version
        forms[action] = form
    return forms


def _plan_link(problem: Problem) -> str | None:
    if current_user.role not in WRITERS or problem.resident_id is None or problem.status == "closed":
        return None
    item = services.plan_item_for(problem)
    if item is None:
        return None
    return url_for("plans.new", resident_id=problem.resident_id, item_code=item)


def _render_problem(problem: Problem, posted: dict | None = None, status: int = 200):
    actions = services.allowed_actions(problem, current_user)
    # Unit staff see the problem and their own actions, never the visit record behind it.
    return render_template("diary/problem.html", p=problem, titles=_titles(), actions=actions,
                           forms=_action_forms(problem, actions, posted), plan_link=_plan_link(problem),
                           photo_form=PhotoForm() if (current_user.role == "unit" and services.phase(problem) in
                                                      ("accepted", "overdue_accepted", "resolved")) else None,
                           show_diary=current_user.role in STAFF), status


@bp.get("/problems/<int:problem_id>")
@roles(*STAFF, "unit")
def problem(problem_id: int):
    return _render_problem(get_or_404(Problem, problem_id, current_user))


def _action_payload(action: str, form) -> dict:
    data = {"version": form.version.data}
    if action == "dispatch":
        data.update(unit_id=form.unit_id.data or None, due_date=form.due_date.data or None, note=form.note.data)
    elif action == "accept":
        data.update(note=form.note.data)
    elif action == "return":
        data.update(reason=form.reason.data)
    elif action == "resolve":
        data.update(result=form.result.data)
    elif action == "feedback":
        data.update(satisfied=form.satisfied.data, comment=form.comment.data, due_date=form.due_date.data or None)
    return data


@bp.post("/problems/<int:problem_id>/<any(dispatch, accept, return, resolve, feedback):action>")
@roles("admin", "caseworker", "unit")
def act(problem_id: int, action: str):
    problem = get_or_404(Problem, problem_id, current_user)
    form = ACTION_FORMS[action]()
    kw = {"photos": request.files.getlist("photos")} if action == "resolve" else {}
    try:
        services.apply(problem, action, _action_payload(action, form), current_user, **kw)
        commit()
    except ValidationError as exc:
        db.session.rollback()
        problem = get_or_404(Problem, problem_id, current_user)
        apply_errors(form, exc)
        flash(flash_invalid(), "danger")
        return _render_problem(problem, {action: form}, 422)
    except Conflict as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
        return redirect(url_for("diary.problem", problem_id=problem_id))
    done = {"dispatch": _("Dispatched to %(unit)s, due %(date)s.", unit=problem.unit.name if problem.unit else "",
                          date=problem.due_date.isoformat() if problem.due_date else ""),
            "accept": _("Accepted."), "return": _("Returned to the community."),
            "resolve": _("Reported resolved; the community will ask the resident."),
            "feedback": _("Closed: the resident is satisfied.") if problem.status == "closed"
            else _("Reopened: the resident is not satisfied.")}[action]
    flash(done, "success")
    if current_user.role == "unit" and problem.unit_id != current_user.unit_id:
        return redirect(url_for("diary.tasks"))  # returned: no longer the unit's item
    return redirect(url_for("diary.problem", problem_id=problem_id))


@bp.post("/problems/<int:problem_id>/photos")
@roles("unit")
def add_resolution_photos(problem_id: int):
    problem = get_or_404(Problem, problem_id, current_user)
    try:
        rows = services.add_resolution_photos(problem, request.files.getlist("photos"), current_user, field="photos")
        commit()
        flash(ngettext("%(num)d photo added.", "%(num)d photos added.", len(rows)), "success")
    except AppError as exc:
        db.session.rollback()
        flash(_messages(exc), "danger")
    return redirect(url_for("diary.problem", problem_id=problem_id))


# --- figures --------------------------------------------------------------------------------------

def _figures_or_error():
    try:
        start, end = figures.parse_period(request.args.get("from"), request.args.get("to"))
        return figures.compute(current_user, start, end, request.args.get("area_code") or None), None
    except ValidationError as exc:
        return None, _messages(exc)


@bp.get("/figures")
@roles(*STAFF)
def figures_page():
    fig, error = _figures_or_error()
    today = local_today()
    periods = [(_("This year"), dt.date(today.year, 1, 1), today),
               (_("Last year"), dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)),
               (_("This month"), today.replace(day=1), today)]
    area = request.args.get("area_code") or None
    presets = [(label, url_for("diary.figures_page", area_code=area, **{"from": a.isoformat(), "to": b.isoformat()}))
               for label, a, b in periods]
    return render_template("diary/figures.html", fig=fig, error=error, args=request.args, presets=presets,
                           titles=figures.TITLES, area_choices=area_services.choices(current_user)), \
        422 if error else 200


@bp.get("/figures.xlsx")
@roles(*STAFF)
def figures_xlsx():
    fig, error = _figures_or_error()
    if fig is None:
        flash(error, "danger")
        return redirect(url_for("diary.figures_page"))
    data, filename = export.figures_export(current_user, fig)
    commit()
    return send_file(io.BytesIO(data), as_attachment=True, download_name=filename, mimetype=export.XLSX_MIMETYPE)
