"""Unit tests of the shared core and the foundation's services, without HTTP: validation, ID
numbers, pinyin keys, pagination, the form-error glue, audit diffs, optimistic locking, scoping."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from assist.core import audit
from assist.core.db import check_version
from assist.core.errors import Conflict, StaleVersion, ValidationError
from assist.core.forms import apply_errors
from assist.core.pagination import keyset, parse_limit
from assist.core.pinyin import keys as pinyin_keys
from assist.core.scoping import get_or_404
from assist.core.timeutil import local_today
from assist.core.validation import Invalid, Validator, parse_date, parse_mobile
from assist.residents import idnumber, services
from assist.residents.forms import ResidentForm
from assist.residents.models import Resident
from tests.conftest import HUAYUAN, XINQIAO, XIZHUOZISHAN_C, id_number

API, EN = "/api/v1/", {"Accept-Language": "en"}  # API requests follow Accept-Language

# --- Validator ------------------------------------------------------------------------------------


def test_validator_reports_every_field_at_once_and_names_it(app):
    with app.test_request_context(API, headers=EN):
        v = Validator({"a": "", "b": "x" * 11, "c": True, "d": "2024-02-30"})
        v.text("a", "Alpha", required=True)
        v.text("b", "Beta", max_length=10)
        v.integer("c", "Gamma")
        v.date("d", "Delta")
        with pytest.raises(ValidationError) as caught:
            v.raise_if_errors()
    assert caught.value.fields == {"a": ["Alpha: is required"], "b": ["Beta: must be at most 10 characters"],
                                   "c": ["Gamma: must be a whole number"],
                                   "d": ["Delta: must be a date written YYYY-MM-DD"]}


@pytest.mark.parametrize("raw,ok", [("王守义", True), (101, True), ("  x  ", True), (1.5, False), (float("nan"), False),
                                    (True, False), ([], False), ({"x": 1}, False), ("a\x00b", False),
                                    ("one\ntwo", False)])
def test_text_fields_take_text_and_whole_numbers_only(app, raw, ok):
    v = Validator({"k": raw})
    v.text("k", "K")
    assert (not v.errors) is ok, v.errors
    if ok:
        assert v.clean["k"] == str(raw).strip()


@pytest.mark.parametrize("raw,value", [(3, 3), ("3", 3), (" -2 ", -2), ("３", 3), (2**31 - 1, 2**31 - 1)])
def test_integers(app, raw, value):
    v = Validator({"k": raw})
    assert v.integer("k", "K") == value and not v.errors


@pytest.mark.parametrize("raw", [True, 1.0, "1.0", "1e3", "½", 2**31, -(2**31) - 5, "9" * 5000, [1]])
def test_not_integers(app, raw):
    v = Validator({"k": raw})
    v.integer("k", "K")
    assert "k" in v.errors


@pytest.mark.parametrize("raw,value", [(True, True), ("是", True), ("false", False), (0, False), (1, True)])
def test_booleans(app, raw, value):
    v = Validator({"k": raw})
    assert v.boolean("k", "K") is value and not v.errors


@pytest.mark.parametrize("raw", ["maybe", 2, 1.0, [], {}])
def test_not_booleans(app, raw):
    v = Validator({"k": raw})
    v.boolean("k", "K")
    assert "k" in v.errors


def test_partial_validation_skips_absent_keys_but_refuses_emptying_required_ones(app):
    v = Validator({"name": None}, partial=True)
    v.text("name", "Name", required=True)
    v.text("address", "Address", required=True)
    assert list(v.errors) == ["name"] and "address" not in v.clean


def test_mobile_numbers_and_dates(app):
    assert parse_mobile("+86 139-0473-1234") == "13904731234"
    assert parse_mobile("１３９０４７３１２３４") == "13904731234"
    for bad in ("1390473123", "12904731234", "١٣٩٠٤٧٣١٢٣٤", True, 13904731234.0):
        with pytest.raises(Invalid):
            parse_mobile(bad)
    assert parse_date("2024-05-01") == dt.date(2024, 5, 1)
    assert parse_date(dt.datetime(2024, 5, 1, 13, 0)) == dt.date(2024, 5, 1)
    for bad in ("20240501", "2024-W18", "2024-5-1", 20240501, "2024-02-30"):
        with pytest.raises(Invalid):
            parse_date(bad)


# --- ID numbers and pinyin ------------------------------------------------------------------------

def test_id_numbers_give_birth_date_and_gender(app):
    info = idnumber.parse("11010519491231002X")  # the example of DOMAIN.md
    assert info.birth_date == dt.date(1949, 12, 31) and info.gender == "female"
    assert idnumber.parse(" 11010519491231002x ").number == "11010519491231002X"
    male = idnumber.parse(idnumber.make("150303", dt.date(1944, 5, 6), 11))
    assert male.gender == "male"


def test_the_region_code_is_never_checked_against_the_birth_year(app):
    # 150303 came into use in 1983; residents born before keep their numbers.
    info = idnumber.parse(idnumber.make("150303", dt.date(1931, 1, 1), 7))
    assert info.birth_date == dt.date(1931, 1, 1)


@pytest.mark.parametrize("name,full,initials", [
    ("王守义", "wangshouyi", "wsy"), ("曾国藩", "zengguofan", "zgf"), ("单田芳", "shantianfang", "stf"),
    ("吕布", "lvbu", "lb"), ("欧阳娜娜", "ouyangnana", "oynn"), ("Li Wei", "liwei", "lw"), ("", "", ""),
])
def test_pinyin_keys(name, full, initials):
    assert pinyin_keys(name) == (full, initials)


# --- pagination -----------------------------------------------------------------------------------

def test_keyset_pages_through_in_order(app, make_resident, db):
    made = [make_resident(name=name).id for name in ("甲", "乙", "丙")]
    stmt = sa.select(Resident)
    first = keyset(stmt, [Resident.id], limit=2, cursor=None)
    assert [r.id for r in first.items] == made[:2] and first.next_cursor
    second = keyset(stmt, [Resident.id], limit=2, cursor=first.next_cursor)
    assert [r.id for r in second.items] == made[2:] and second.next_cursor is None
    newest = keyset(stmt, [Resident.id], limit=5, cursor=None, descending=True)
    assert [r.id for r in newest.items] == made[::-1]


@pytest.mark.parametrize("raw,value", [(None, 50), ("", 50), ("1", 1), ("200", 200)])
def test_parse_limit(raw, value):
    assert parse_limit(raw) == value


@pytest.mark.parametrize("raw", ["0", "201", "-1", "x", "1.5"])
def test_parse_limit_refuses(app, raw):
    with pytest.raises(ValidationError):
        parse_limit(raw)


# --- the form-error glue --------------------------------------------------------------------------

def test_apply_errors_puts_messages_on_their_fields(app):
    with app.test_request_context(API, method="POST", data={"name": "x"}, headers=EN):
        form = ResidentForm(meta={"csrf": False})
        apply_errors(form, ValidationError(fields={
            "name": ["Name: bad"], "conditions.self_care_level": ["Level: bad"], "household": ["member 1: bad"],
            "version": ["version: bad"], "nowhere": ["Nowhere: bad"]}))
        assert form.name.errors == ["Name: bad"]
        assert form.self_care_level.errors == ["Level: bad"]
        assert form.household.errors == ["member 1: bad"]
        assert form.form_errors == ["version: bad", "Nowhere: bad"]  # hidden or unknown: shown on top
        apply_errors(form, ValidationError(_l("Some fields are not valid.")))
        assert form.form_errors[-1] == "Some fields are not valid."


def test_apply_errors_after_validate_keeps_row_errors_out_of_the_way(app):
    with app.test_request_context(method="POST", data={"household-0-name": "x"}):
        form = ResidentForm(meta={"csrf": False})
        form.validate()
        apply_errors(form, ValidationError(fields={"household": ["member 1: bad"]}))
        assert form.household.errors == ["member 1: bad"]


# --- audit diffs, versions, errors ----------------------------------------------------------------

def test_audit_diff_and_jsonable(app):
    with app.test_request_context():
        changes = audit.diff({"a": 1, "b": dt.date(2024, 1, 2), "c": "same"},
                             {"a": 2, "b": dt.date(2024, 1, 3), "c": "same", "d": _l("Not found.")})
        assert changes == {"a": [1, 2], "b": ["2024-01-02", "2024-01-03"], "d": [None, "未找到。"]}


def test_check_version(app, make_resident):
    resident = make_resident()
    check_version(resident, 1)
    check_version(resident, "1")
    with pytest.raises(StaleVersion):
        check_version(resident, 2)
    for bad in (None, True, 1.0, "x", [1]):
        with pytest.raises(ValidationError):
            check_version(resident, bad)


def test_error_bodies_resolve_lazy_strings(app):
    with app.test_request_context(API, headers=EN):
        body = Conflict(_l("Not found."), existing_id=3, hint=_l("Please log in.")).to_dict()
        assert app.json.dumps(body)  # plain JSON
    assert body == {"error": {"code": "conflict", "message": "Not found.", "existing_id": 3, "hint": "Please log in."}}


def test_json_answers_write_dates_as_iso(app):
    with app.test_request_context():
        text = app.json.dumps({"d": dt.date(2024, 5, 1), "t": dt.datetime(2024, 5, 1, 5, 0, tzinfo=dt.timezone.utc),
                               "l": _l("Not found.")})
    assert app.json.loads(text) == {"d": "2024-05-01", "t": "2024-05-01T13:00:00+08:00", "l": "未找到。"}


# --- resident services called directly ------------------------------------------------------------

def test_register_update_and_status_through_the_services(app, make_user, resident_data, db):
    actor = make_user("caseworker")
    resident = services.register(resident_data(household=[{"relation": "子", "name": "王强"}]), actor)
    db.session.commit()
    assert resident.version == 1 and resident.assessor_id == actor.id and resident.created_by_id == actor.id
    services.update(resident, {"version": 1, "household": []}, actor)
    db.session.commit()
    assert resident.household == [] and resident.version == 2
    services.change_status(resident, {"status": "terminated", "reason": "去世", "reason_kind": "deceased"}, actor)
    db.session.commit()
    assert resident.status == "terminated" and resident.status_changes[0].reason == "去世"
    with pytest.raises(Conflict):
        services.change_status(resident, {"status": "suspended", "reason": "x"}, actor)


def test_a_system_registration_hides_the_duplicates_name(app, make_resident, resident_data):
    existing = make_resident()
    with app.test_request_context(API, headers=EN):
        with pytest.raises(Conflict) as caught:
            services.register(resident_data(id_number=existing.id_number), None)
    assert caught.value.extra["existing_id"] == existing.id and existing.name not in str(caught.value.message)


def test_scope_rules(app, make_user, make_resident):
    in_huayuan, in_xinqiao = make_resident(area_code=HUAYUAN), make_resident(area_code=XINQIAO)
    elsewhere = make_resident(area_code=XIZHUOZISHAN_C)
    street = make_user("caseworker", areas=["150303002000"])
    assert get_or_404(Resident, in_xinqiao.id, street).id == in_xinqiao.id
    for user in (street, make_user("provider"), make_user("unit"), None):
        from assist.core.errors import NotFound
        with pytest.raises(NotFound):
            get_or_404(Resident, elsewhere.id, user)
    for role in ("admin", "auditor"):
        assert get_or_404(Resident, elsewhere.id, make_user(role)).id == elsewhere.id
    listed = services.search(street, services.Filters(), limit=50, cursor=None).items
    assert {r.id for r in listed} == {in_huayuan.id, in_xinqiao.id}


def test_filters_from_query_arguments(app):
    with app.test_request_context(API, headers=EN):
        good = services.Filters.from_args(MultiDict([("q", " ｗｓｙ "), ("condition", "lives_alone"), ("condition", ""),
                                                     ("min_age", "60")]))
        assert good.q == "wsy" and good.conditions == ["lives_alone"] and good.min_age == 60 and not good.invalid
        bad = services.Filters.from_args(MultiDict([("condition", "flying"), ("max_age", "200")]))
        assert set(bad.invalid) == {"condition", "max_age"}
        with pytest.raises(ValidationError):
            services.filtered(None, bad)


def test_assessment_date_in_the_future_is_refused(app, resident_data):
    tomorrow = (local_today() + dt.timedelta(days=1)).isoformat()
    with pytest.raises(ValidationError) as caught:
        services.validate(resident_data(assessed_on=tomorrow, id_number=id_number()))
    assert "assessed_on" in caught.value.fields
