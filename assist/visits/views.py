"""HTML: the provider's working day (phone first) and the caseworkers' visit pages.

Providers: ``/my/visits`` (today and this week, theirs or the organisation's) and the visit page
with one-tap check-in and the completion form (quantity, notes, photos, the resident's signature).
Caseworkers: the list with filters and bulk verification, the calendar, needs attention, schedule
generation; on the visit page assignment, reschedule, cancel, amendment and the follow-up rating.

Every writing form carries a one-time token that is its idempotency key (:func:`run_once`, the
same mechanism as the API's ``Idempotency-Key``): a double-tapped or retried submission replays the
first answer instead of recording twice. A failed submission stores nothing (the transaction rolls
back and files it wrote are removed at teardown) and the page comes back with the input kept.
"""
from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from assist.areas import services as area_services
from assist.auth.models import User
from assist.core import uploads
from assist.core.db import commit
from assist.core.errors import HTTP_MESSAGES, Conflict, NotFound, TooLarge, ValidationError
from assist.core.forms import apply_errors, flash_invalid
from assist.core.idempotency import run_once
from assist.core.pagination import parse_limit
from assist.core.permissions import roles
from assist.core.scoping import get_or_404, scoped
from assist.core.timeutil import LOCAL_TZ, local_today
from assist.extensions import db
from assist.plans.models import Plan
from assist.providers.models import Provider
from assist.residents.models import Resident
from assist.visits import calendar, services
from assist.visits.forms import (AmendForm, AssignForm, CancelForm, CheckInForm, CompleteForm, GenerateForm, PhotosForm,
                                 RatingForm, RescheduleForm, new_token)
from assist.visits.models import VISIT_STATUSES, Visit

bp = Blueprint("visits", __name__)

READERS = ("admin", "caseworker", "auditor")
MANAGERS = ("admin", "caseworker")
EVERYONE = ("admin", "caseworker", "auditor", "provider")
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
MAX_GENERATE_DAYS = 366

# Form name → the ability (see _abilities) that puts the form on the page.
ABILITY = {"photos": "add_photos", "rating": "rate"}
FORMS = {"check_in": CheckInForm, "complete": CompleteForm, "photos": PhotosForm, "assign": AssignForm,
         "reschedule": RescheduleForm, "cancel": CancelForm, "amend": AmendForm, "rating": RatingForm}


def _titles() -> dict:
    return {"status": services.STATUS_TITLES, "rating": services.RATING_TITLES, "event": {
        "assign": _("Assigned"), "reschedule": _("Rescheduled"), "cancel": _("Cancelled"),
        "check_in": _("Checked in"), "complete": _("Completed"), "rating": _("Follow-up rating"),
        "amend": _("Corrected (amendment)"), "verify": _("Verified by the community"), "missed": _("Missed")}}


def _input_time(value: dt.datetime | None) -> str:
    """A stored instant as a ``datetime-local`` input shows it (local time, minutes)."""
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M") if value else ""


def _key(form) -> str | None:
    token = (form.token.data or "").strip()
    return f"form:{token}" if TOKEN_RE.fullmatch(token) else None


def _code(exc) -> str:
    """The specific error code (``double_booked``, ``in_progress``...), given to the error as an extra."""
    return exc.extra.get("code") or exc.code


def _messages(exc) -> list[str]:
    return [str(m) for ms in exc.fields.values() for m in ms] or [str(exc.message)]


# --- the provider's day ---------------------------------------------------------------------------

@bp.get("/my/visits")
@roles("provider")
def mine():
    """Today's and this week's visits: the worker's own, or (tab) the whole organisation's."""
    who = "org" if request.args.get("who") == "org" else "mine"
    today = local_today()
    base = scoped(sa.select(Visit), Visit, current_user).options(selectinload(Visit.staff))
    if who == "mine":
        base = base.where(Visit.staff_id == current_user.id)

    def between(first: dt.date, last: dt.date, *extra):
        stmt = base.where(Visit.scheduled_start >= calendar.midnight(first),
                          Visit.scheduled_start < calendar.midnight(last), *extra)
        return list(db.session.scalars(stmt.order_by(Visit.scheduled_start, Visit.id).limit(300)))

    today_visits = between(today, today + dt.timedelta(days=1))
    week: dict[dt.date, list[Visit]] = {}
    for v in between(today + dt.timedelta(days=1), today + dt.timedelta(days=7)):
        week.setdefault(calendar.local_day(v.scheduled_start), []).append(v)
    # Started on an earlier day and never completed: the worker should finish the record.
    unfinished = between(today - dt.timedelta(days=14), today, Visit.status == "checked_in")
    unassigned = 0
    if who == "mine":
        unassigned = db.session.scalar(scoped(sa.select(sa.func.count()).select_from(Visit), Visit, current_user).where(
            Visit.staff_id.is_(None), Visit.status == "scheduled",
            Visit.scheduled_start >= calendar.midnight(today),
            Visit.scheduled_start < calendar.midnight(today + dt.timedelta(days=1)))) or 0
    return render_template("visits/mine.html", who=who, today=today, today_visits=today_visits, week=week,
                           unfinished=unfinished, unassigned=unassigned, titles=_titles())


# --- one visit ------------------------------------------------------------------------------------

def _abilities(visit: Visit) -> dict:
    """What the current user may do with this visit now (the services check it again)."""
    user = current_user
    worker = user.role == "provider" and user.provider_id == visit.provider_id
    manager = user.role in MANAGERS or worker
    return {
        "worker": worker,
        "check_in": worker and visit.status == "scheduled",
        "complete": worker and visit.status == "checked_in",
        "add_photos": worker and visit.status == "completed",
        "assign": manager and visit.status == "scheduled",
        "reschedule": manager and visit.status == "scheduled",
        "cancel": manager and visit.status in services.ACTIVE,
        "amend": manager and visit.status == "completed",
        "rate": user.role in MANAGERS and visit.status == "completed" and visit.rating is None,
        "resident_link": user.role in READERS,
        "list_link": user.role in READERS,
    }


def _fresh_forms(visit: Visit) -> dict:
    forms = {name: cls(formdata=None, prefix=name) for name, cls in FORMS.items()}
    for form in forms.values():
        form.token.data = new_token()
    forms["complete"].quantity.data = "%g" % visit.plan.quantity_per_visit
    forms["assign"].staff_id.data = str(visit.staff_id or "")
    forms["reschedule"].scheduled_start.data = _input_time(visit.scheduled_start)
    amend = forms["amend"]
    amend.quantity.data = "%g" % visit.quantity if visit.quantity is not None else ""
    amend.notes.data = visit.notes
    amend.check_in_at.data = _input_time(visit.check_in_at)
    amend.check_out_at.data = _input_time(visit.check_out_at)
    return forms


def _worker_choices(visit: Visit) -> list[tuple[str, str]]:
    """The provider's workers, each marked when already booked at the visit's time."""
    choices = [("", "—")]
    for worker in calendar.workers_of(visit.provider_id):
        busy = services.clashes(worker.id, visit.scheduled_start, visit.scheduled_end, visit.id)
        label = worker.label
        if busy:
            other = busy[0]
            label = _("%(name)s (booked %(start)s–%(end)s)", name=worker.label,
                      start=other.scheduled_start.astimezone(LOCAL_TZ).strftime("%H:%M"),
                      end=other.scheduled_end.astimezone(LOCAL_TZ).strftime("%H:%M"))
        choices.append((str(worker.id), label))
    return choices


def _shown_change(key: str, value, people: dict) -> str:
    if value is None or value == "":
        return "—"
    if key == "staff_id":
        return people.get(value) or f"#{value}"
    if key in ("scheduled_start", "check_in_at", "check_out_at") and isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    if key == "rating":
        return str(services.RATING_TITLES.get(value, value))
    return str(value)


def _history(visit: Visit) -> tuple[list[dict], dict]:
    """The visit's events for display, and the original values of amended fields."""
    ids = {v for e in visit.events for v in (e.changes or {}).get("staff_id", []) if isinstance(v, int)}
    people = {u.id: u.label for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))} if ids else {}
    rows, originals = [], {}
    titles = _titles()["event"]
    for e in visit.events:
        changes = []
        for key, change in (e.changes or {}).items():
            if isinstance(change, list) and len(change) == 2:
                changes.append((str(services.LABELS.get(key, key)), _shown_change(key, change[0], people),
                                _shown_change(key, change[1], people)))
                if e.kind == "amend" and key not in originals:
                    originals[key] = _shown_change(key, change[0], people)
        rows.append({"at": e.at, "kind": e.kind, "title": titles.get(e.kind, e.kind), "reason": e.reason,
                     "actor": e.actor.label if e.actor else _("system"), "changes": changes})
    return rows, originals


def _cap_position(visit: Visit) -> dict:
    """Which visit of the month this would be, and whether that is above the plan's cap."""
    day = visit.scheduled_start.astimezone(LOCAL_TZ).date()
    nth = services.month_visits(visit.plan_id, day, exclude_id=visit.id) + 1
    return {"nth": nth, "cap": visit.plan.monthly_cap, "over": nth > visit.plan.monthly_cap}


def _page(visit: Visit, *, posted: tuple[str, object] | None = None, status: int = 200):
    can = _abilities(visit)
    forms = _fresh_forms(visit)
    if posted:
        forms[posted[0]] = posted[1]
    if can["assign"]:
        forms["assign"].staff_id.choices = _worker_choices(visit)
    events, originals = _history(visit)
    reworks = list(db.session.scalars(scoped(sa.select(Visit), Visit, current_user)
                                      .where(Visit.rework_of_id == visit.id).order_by(Visit.id)))
    cap = _cap_position(visit) if can["complete"] else None
    if cap and "over_cap_reason" in forms["complete"].errors:
        cap["over"] = True
    load = calendar.week_load(visit.provider, calendar.local_day(visit.scheduled_start)) if can["assign"] else None
    return render_template("visits/detail.html", v=visit, can=can, forms=forms, events=events, originals=originals,
                           reworks=reworks, cap=cap, load=load, titles=_titles(),
                           photos=[f for f in visit.files if f.kind == "photo"],
                           signature=next((f for f in visit.files if f.kind == "signature"), None)), status


@bp.get("/visits/<int:visit_id>")
@roles(*EVERYONE)
def detail(visit_id: int):
    return _page(get_or_404(Visit, visit_id, current_user))


def _once(visit_id: int, name: str, form, apply, success: str, on_invalid=None):
    """Run ``apply(visit)`` once for this form's token; on failure show the page with the form kept."""
    def work():
        visit = get_or_404(Visit, visit_id, current_user, for_update=True)
        apply(visit)
        return {"visit_id": visit.id}, 200

    try:
        body, _status, replayed = run_once(_key(form), work, fingerprint=f"form {request.path}")
    except ValidationError as exc:
        db.session.rollback()
        visit = get_or_404(Visit, visit_id, current_user)
        if _abilities(visit)[ABILITY.get(name, name)]:
            (on_invalid or apply_errors)(form, exc)
            flash(flash_invalid(), "danger")
        else:  # the form is no longer on the page (the visit moved on): say why at the top
            flash(" ".join(_messages(exc)), "danger")
        return _page(visit, posted=(name, form), status=422)
    except Conflict as exc:
        db.session.rollback()
        if _code(exc) == "in_progress":  # the twin of this submission is still running
            flash(str(exc.message), "warning")
            return redirect(url_for("visits.detail", visit_id=visit_id), 303)
        visit = get_or_404(Visit, visit_id, current_user)
        if _abilities(visit)[ABILITY.get(name, name)]:
            form.form_errors.append(str(exc.message))
        else:
            flash(str(exc.message), "danger")
        return _page(visit, posted=(name, form), status=409)
    if replayed:
        flash(_("This form was already sent: nothing was recorded twice."), "info")
    else:
        flash(success, "success")
    return redirect(url_for("visits.detail", visit_id=body["visit_id"]), 303)


@bp.post("/visits/<int:visit_id>/check-in")
@roles("provider")
def check_in(visit_id: int):
    get_or_404(Visit, visit_id, current_user)
    form = CheckInForm(prefix="check_in")
    lat, lng = (form.lat.data or "").strip(), (form.lng.data or "").strip()
    # The browser's location is a bonus: without both coordinates the check-in goes ahead without.
    data = {"lat": lat, "lng": lng} if lat and lng else {}
    return _once(visit_id, "check_in", form, lambda v: services.check_in(v, data, current_user),
                 _("Checked in."))


def _store_photos(visit: Visit, storages, errors: dict) -> None:
    """Store each chosen photo; every refusal is collected under ``photos`` (names the file)."""
    for storage in storages:
        try:
            services.add_photo(visit, storage.read(), current_user,
                               field=_("Photo %(name)s", name=storage.filename or "?"))
        except (ValidationError, TooLarge) as exc:
            errors.setdefault("photos", []).extend(
                _messages(exc) if exc.fields else [_("Photo %(name)s: %(message)s", name=storage.filename,
                                                     message=str(exc.message))])
        except Conflict as exc:
            if _code(exc) != "too_many_files":
                raise
            errors.setdefault("photos", []).append(str(exc.message))
            break


def _chosen(form) -> list:
    return [f for f in request.files.getlist(form.photos.name) if f and f.filename]


def _photo_errors(form, exc: ValidationError) -> None:
    fields = dict(exc.fields)
    form.photos.errors = [str(m) for m in fields.pop("photos", [])]
    if "signature" in fields and hasattr(form, "signature"):
        form.signature.errors = [str(m) for m in fields.pop("signature")]
    if fields:
        apply_errors(form, ValidationError(exc.message, fields=fields))
    # Browsers do not let a page put chosen files back into a file input.
    form.photos_lost = bool(_chosen(form))


@bp.post("/visits/<int:visit_id>/complete")
@roles("provider")
def complete(visit_id: int):
    """Check out with quantity, notes, photos and the resident's signature, in one transaction."""
    get_or_404(Visit, visit_id, current_user)
    form = CompleteForm(prefix="complete")
    data = {"quantity": form.quantity.data, "notes": form.notes.data or "",
            "signature": (form.signature.data or "").strip() or None,
            "over_cap_reason": form.over_cap_reason.data or ""}
    photos = _chosen(form)

    def apply(visit: Visit) -> None:
        errors: dict = {}
        try:
            services.complete(visit, data, current_user)
        except ValidationError as exc:
            errors.update(exc.fields)
        _store_photos(visit, photos, errors)
        if errors:
            raise ValidationError(fields=errors)

    return _once(visit_id, "complete", form, apply, _("Visit completed."), on_invalid=_photo_errors)


@bp.post("/visits/<int:visit_id>/photos")
@roles("provider")
def add_photos(visit_id: int):
    """More photos for a completed visit (evidence only: the record itself is not changed)."""
    get_or_404(Visit, visit_id, current_user)
    form = PhotosForm(prefix="photos")
    photos = _chosen(form)

    def apply(visit: Visit) -> None:
        errors: dict = {}
        if not photos:
            errors["photos"] = [_("Choose at least one photo.")]
        _store_photos(visit, photos, errors)
        if errors:
            raise ValidationError(fields=errors)

    return _once(visit_id, "photos", form, apply, _("Photos added."), on_invalid=_photo_errors)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc):
    """Photos beyond the request limit: back to the visit with an explanation, not a bare 413."""
    visit_id = (request.view_args or {}).get("visit_id")
    if request.endpoint in ("visits.complete", "visits.add_photos") and visit_id:
        mb = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)
        flash(_("The photos together are larger than %(mb)d MB, so nothing was recorded. Choose fewer or "
                "smaller photos and send the form again.", mb=mb), "danger")
        return redirect(url_for("visits.detail", visit_id=visit_id), 303)
    return render_template("errors/error.html", status=413, message=HTTP_MESSAGES[413]), 413


@bp.errorhandler(CSRFError)
def form_expired(exc):
    """A visit form left open too long (its CSRF token expired): nothing is recorded, but the page
    comes back with what was typed and a fresh token, instead of a bare error page."""
    name = request.endpoint.split(".", 1)[1].replace("add_photos", "photos") if request.endpoint else ""
    visit_id = (request.view_args or {}).get("visit_id")
    if name not in FORMS or not visit_id or not current_user.is_authenticated:
        return render_template("errors/error.html", status=400, message=HTTP_MESSAGES[400]), 400
    visit = get_or_404(Visit, visit_id, current_user)
    form = FORMS[name](prefix=name)
    message = _("The form was open too long and has expired, so nothing was recorded. Check what you entered "
                "and send it again.")
    if _abilities(visit)[ABILITY.get(name, name)]:
        form.form_errors.append(message)
        if hasattr(form, "photos"):
            form.photos_lost = bool(_chosen(form))
    else:
        flash(message, "warning")
    return _page(visit, posted=(name, form), status=400)


@bp.post("/visits/<int:visit_id>/assign")
@roles("admin", "caseworker", "provider")
def assign(visit_id: int):
    get_or_404(Visit, visit_id, current_user)
    form = AssignForm(prefix="assign")
    data = {"staff_id": form.staff_id.data}
    return _once(visit_id, "assign", form, lambda v: services.assign(v, data, current_user), _("Worker assigned."))


@bp.post("/visits/<int:visit_id>/reschedule")
@roles("admin", "caseworker", "provider")
def reschedule(visit_id: int):
    get_or_404(Visit, visit_id, current_user)
    form = RescheduleForm(prefix="reschedule")
    data = {"scheduled_start": form.scheduled_start.data, "reason": form.reason.data}
    return _once(visit_id, "reschedule", form, lambda v: services.reschedule(v, data, current_user),
                 _("Visit rescheduled."))


@bp.post("/visits/<int:visit_id>/cancel")
@roles("admin", "caseworker", "provider")
def cancel(visit_id: int):
    get_or_404(Visit, visit_id, current_user)
    form = CancelForm(prefix="cancel")
    data = {"reason": form.reason.data}
    return _once(visit_id, "cancel", form, lambda v: services.cancel(v, data, current_user), _("Visit cancelled."))


@bp.post("/visits/<int:visit_id>/amend")
@roles("admin", "caseworker", "provider")
def amend(visit_id: int):
    visit = get_or_404(Visit, visit_id, current_user)
    form = AmendForm(prefix="amend")
    data = {"quantity": form.quantity.data, "notes": form.notes.data or "", "reason": form.reason.data}
    # The form shows times to the minute: an untouched time field is no correction.
    for key in ("check_in_at", "check_out_at"):
        typed = (getattr(form, key).data or "").strip()
        if typed and typed != _input_time(getattr(visit, key)):
            data[key] = typed
    return _once(visit_id, "amend", form, lambda v: services.amend(v, data, current_user),
                 _("Correction recorded; the original values stay in the history."))


@bp.post("/visits/<int:visit_id>/rating")
@roles(*MANAGERS)
def rating(visit_id: int):
    get_or_404(Visit, visit_id, current_user)
    form = RatingForm(prefix="rating")
    data = {"rating": form.rating.data, "comment": form.comment.data or ""}
    message = (_("Rating recorded. A rework visit was opened for the same provider.")
               if data["rating"] == "unsatisfied" else _("Rating recorded."))
    return _once(visit_id, "rating", form, lambda v: services.rate(v, data, current_user), message)


@bp.get("/visits/<int:visit_id>/files/<int:file_id>")
@roles(*EVERYONE)
def visit_file(visit_id: int, file_id: int):
    """A photo or the signature of a visit the user may see (never cached: personal information)."""
    visit = get_or_404(Visit, visit_id, current_user)
    stored = next((f for f in visit.files if f.id == file_id), None)
    if stored is None:
        raise NotFound()
    try:
        path = uploads.absolute(stored.path)
        resp = send_file(path, mimetype=stored.content_type, conditional=True, max_age=0,
                         download_name=f"visit-{visit.id}-{stored.kind}-{stored.id}.{stored.path.rsplit('.', 1)[-1]}")
    except (FileNotFoundError, ValueError):
        raise NotFound()
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


# --- lists for caseworkers ------------------------------------------------------------------------

def _filter_choices() -> dict:
    providers = db.session.scalars(scoped(sa.select(Provider), Provider, current_user).order_by(Provider.name)).all()
    return {"areas": area_services.choices(current_user), "providers": [(str(p.id), p.name) for p in providers],
            "statuses": [(s, services.STATUS_TITLES[s]) for s in VISIT_STATUSES]}


def _resident_named(args) -> Resident | None:
    raw = args.get("resident_id")
    if not raw:
        return None
    try:
        return get_or_404(Resident, raw, current_user)
    except NotFound:
        return None


@bp.get("/visits/")
@roles(*EVERYONE)
def index():
    args = request.args.to_dict()
    if "from" not in request.args and not request.args.get("cursor"):
        args["from"] = calendar.week_start(local_today()).isoformat()  # a fresh list starts this week
    error, page = None, None
    try:
        page = services.search(current_user, args, limit=parse_limit(request.args.get("limit"), 50),
                               cursor=request.args.get("cursor"))
    except ValidationError as exc:
        error = "; ".join(_messages(exc))
    if page is not None:
        ids = [v.id for v in page.items]
        if ids:  # the photo and signature counts without one query per row
            db.session.scalars(sa.select(Visit).where(Visit.id.in_(ids)).options(
                selectinload(Visit.files), selectinload(Visit.staff))).all()
    return render_template("visits/index.html", page=page, error=error, args=MultiDict(args), shown=args,
                           choices=_filter_choices(), resident=_resident_named(request.args), titles=_titles(),
                           can_verify=current_user.role in MANAGERS,
                           clear_resident_url=url_for("visits.index", **{k: v for k, v in args.items()
                                                                          if k not in ("resident_id", "cursor")}))


@bp.post("/visits/verify")
@roles(*MANAGERS)
def verify():
    """The community confirms the chosen completed visits (before the monthly settlement)."""
    ids = []
    for raw in request.form.getlist("visit_ids")[:1000]:
        if raw.isdigit() and len(raw) <= 9:
            ids.append(int(raw))
    visits = list(db.session.scalars(scoped(sa.select(Visit), Visit, current_user).where(Visit.id.in_(ids)))) if ids \
        else []
    if not visits:
        flash(_("Choose the completed visits to verify."), "warning")
    else:
        count = services.verify(visits, current_user)
        commit()
        flash(_("%(n)d visits verified.", n=count), "success")
    back = request.form.get("next") or ""
    if not back.startswith("/visits/") or back.startswith("//"):
        back = url_for("visits.index")
    return redirect(back, 303)


@bp.get("/visits/calendar")
@roles(*EVERYONE)
def calendar_page():
    view = request.args.get("view") if request.args.get("view") in calendar.VIEWS else "week"
    try:
        anchor = dt.date.fromisoformat(request.args.get("date") or "")
    except ValueError:
        anchor = local_today()
    filters = {k: request.args.get(k, "") for k in calendar.FILTER_KEYS}
    provider_id = None
    if current_user.role == "provider":
        filters["provider_id"] = str(current_user.provider_id)
    if filters.get("provider_id"):
        try:
            provider_id = get_or_404(Provider, filters["provider_id"], current_user).id
        except NotFound:
            filters["provider_id"], provider_id = "", None
    group = request.args.get("group") or ("staff" if current_user.role == "provider" else "none")
    group = group if group in ("staff", "none") else "none"
    error, grid = None, None
    try:
        grid = calendar.build(current_user, view, anchor, filters, group_staff=group == "staff",
                              staff_of_provider=provider_id)
    except ValidationError as exc:
        error = "; ".join(_messages(exc))
    params = {k: v for k, v in filters.items() if v}
    if current_user.role == "provider":
        params.pop("provider_id", None)
    params.update(view=view, group=group, date=anchor.isoformat())

    def cal_url(**overrides) -> str:
        query = {k: v for k, v in {**params, **overrides}.items() if v not in (None, "")}
        return url_for("visits.calendar_page", **query)

    def day_url(day: dt.date) -> str:
        query = {k: v for k, v in filters.items() if v}
        return url_for("visits.index", **query, **{"from": day.isoformat(), "to": day.isoformat()})

    workers = [(str(w.id), w.label) for w in calendar.workers_of(provider_id)] if provider_id else []
    return render_template("visits/calendar.html", grid=grid, error=error, view=view, anchor=anchor, group=group,
                           filters=filters, choices=_filter_choices(), workers=workers,
                           resident=_resident_named(request.args), titles=_titles(), today=local_today(),
                           cal_url=cal_url, day_url=day_url, max_visits=calendar.MAX_VISITS,
                           prev_date=calendar.step(view, anchor, -1).isoformat(),
                           next_date=calendar.step(view, anchor, 1).isoformat(),
                           is_provider=current_user.role == "provider", can_generate=current_user.role in MANAGERS)


@bp.get("/visits/attention")
@roles(*READERS)
def attention():
    """Missed visits, unsatisfied ratings (with their rework visit) and over-cap completions."""
    visits = services.needs_attention(current_user)
    ids = [v.id for v in visits]
    reworks = {}
    if ids:
        for r in db.session.scalars(scoped(sa.select(Visit), Visit, current_user).where(Visit.rework_of_id.in_(ids))):
            reworks.setdefault(r.rework_of_id, []).append(r)
    return render_template("visits/attention.html", visits=visits, reworks=reworks, titles=_titles(),
                           can_manage=current_user.role in MANAGERS)


@bp.route("/visits/generate", methods=["GET", "POST"])
@roles(*MANAGERS)
def generate():
    """Create the visits of every active plan up to a date (running it again creates no duplicates)."""
    form = GenerateForm()
    horizon = services.horizon_end()
    created = None
    status = 200
    if request.method == "GET":
        form.until.data = horizon.isoformat()
    else:
        try:
            until = dt.date.fromisoformat((form.until.data or "").strip())
        except ValueError:
            until = None
            form.until.errors = [_("%(field)s: %(message)s", field=services.LABELS["until"],
                                   message=_("must be a date written YYYY-MM-DD"))]
        if until is not None and until > local_today() + dt.timedelta(days=MAX_GENERATE_DAYS):
            form.until.errors = [_("%(field)s: %(message)s", field=services.LABELS["until"],
                                   message=_("may be at most a year ahead"))]
        if form.until.errors:
            status = 422
        else:
            created = services.generate(until, current_user)
            commit()
            flash(_("%(n)d visits created up to %(date)s.", n=created, date=until.isoformat()), "success")
            return redirect(url_for("visits.generate", created=created, until=until.isoformat()), 303)
    plans = db.session.scalar(scoped(sa.select(sa.func.count()).select_from(Plan), Plan, current_user)
                              .where(Plan.status == "active")) or 0
    return render_template("visits/generate.html", form=form, horizon=horizon, active_plans=plans), status
