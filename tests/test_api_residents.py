"""API.md "Residents": registration, derived fields, validation, duplicates, search, pagination,
edits with optimistic locking, status changes, and the scope every query goes through."""
from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
import sqlalchemy as sa
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent

from assist.core.timeutil import age_on, local_today
from assist.residents import idnumber
from assist.residents.models import Assessment, StatusChange
from tests.conftest import HUAYUAN, LASENGZHONG, XINQIAO, XIZHUOZISHAN_C, id_number

EN = {"Accept-Language": "en"}


def masked(number: str) -> str:
    return number[:6] + "*" * 8 + number[-4:]


def with_check(body17: str) -> str:
    """17 characters + the right check character (to test everything but the check)."""
    return body17 + ric.calc_check_digit(body17 + "0")


def number_ending_in_x(birth=dt.date(1950, 3, 1)) -> str:
    for seq in range(1000):
        number = idnumber.make("150303", birth, seq)
        if number.endswith("X"):
            return number
    raise AssertionError("no sequence gives X")


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


# --- registration ---------------------------------------------------------------------------------

def test_register_answers_201_with_derived_gender_birth_date_and_age(api, resident_data):
    number = id_number(birth=dt.date(1944, 5, 6), male=True)
    c = api("caseworker")
    r = c.post("/api/v1/residents", json=resident_data(id_number=number, conditions={"lives_alone": True,
                                                                                     "self_care_level": 2}))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["name"] == "王守义"
    assert body["gender"] == "male"
    assert body["birth_date"] == "1944-05-06"
    assert body["age"] == age_on(dt.date(1944, 5, 6), local_today())
    assert body["id_number_masked"] == masked(number)
    assert body["phone"] == "13904730000"
    assert body["area_code"] == HUAYUAN and body["assistance_type"] == "dibao"
    assert body["status"] == "active" and body["version"] == 1 and isinstance(body["id"], int)
    conditions = body["conditions"]
    assert conditions["lives_alone"] is True and conditions["self_care_level"] == 2
    # Absent conditions are false / 0 / none (API.md).
    assert conditions["bedridden"] is False and conditions["disability_grade"] == 0
    assert conditions["child_status"] == "none"
    assert body["assessed_on"] == local_today().isoformat()
    assert number not in r.get_data(as_text=True)


def test_even_sequence_digit_is_female(api, resident_data):
    number = id_number(birth=dt.date(1990, 12, 31), male=False)
    body = api("caseworker").post("/api/v1/residents", json=resident_data(id_number=number)).get_json()
    assert body["gender"] == "female" and body["birth_date"] == "1990-12-31"


def test_a_150303_number_of_someone_born_1940_is_accepted(api, resident_data):
    # 海南区's code dates from 1983; stdnum's validate() refuses such numbers, we must not.
    number = id_number(birth=dt.date(1940, 2, 29), region="150303")
    with pytest.raises(InvalidComponent):
        ric.validate(number)
    r = api("caseworker").post("/api/v1/residents", json=resident_data(id_number=number))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["birth_date"] == "1940-02-29"


def test_id_number_with_spaces_lowercase_x_and_full_width_digits_is_the_same_number(api, resident_data):
    number = number_ending_in_x()
    typed = number[:6] + " " + number[6:14] + " " + number[14:-1] + "x"
    c = api("caseworker")
    r = c.post("/api/v1/residents", json=resident_data(id_number=typed))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["id_number_masked"] == masked(number)
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in number)  # １５０３…Ｘ from a Chinese IME
    again = c.post("/api/v1/residents", json=resident_data(id_number=full_width))
    assert again.status_code == 409, again.get_json()
    assert again.get_json()["error"]["existing_id"] == r.get_json()["id"]


def test_id_number_at_exactly_120_years_is_accepted_one_day_more_is_not(api, resident_data):
    oldest = years_before(local_today(), 120)
    c = api("caseworker")
    ok = c.post("/api/v1/residents", json=resident_data(id_number=id_number(birth=oldest)))
    assert ok.status_code == 201, ok.get_json()
    too_old = c.post("/api/v1/residents", json=resident_data(id_number=id_number(birth=oldest - dt.timedelta(days=1))))
    assert too_old.status_code == 422 and "id_number" in too_old.get_json()["error"]["fields"]


def _bad_id_numbers():
    good = id_number(birth=dt.date(1944, 5, 6), seq=11)
    wrong_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    today = local_today()
    return {
        "too short": good[:-1],
        "too long": good + "1",
        "letters": "15030319440506A01" + "1",
        "wrong check character": wrong_check,
        "impossible date": with_check("15030319440231001"),
        "month 13": with_check("15030319441301001"),
        "future birth date": idnumber.make("150303", today + dt.timedelta(days=1), 11),
        "over 120 years": idnumber.make("150303", years_before(today, 121), 11),
        "not text": 150303194405060011,
        "arabic-indic digits": "١٥٠٣٠٣١٩٤٤٠٥٠٦٠٠١١",
    }


@pytest.mark.parametrize("case", list(_bad_id_numbers()))
def test_invalid_id_numbers_answer_422_naming_the_field(api, resident_data, case):
    value = _bad_id_numbers()[case]
    r = api("caseworker").post("/api/v1/residents", json=resident_data(id_number=value), headers=EN)
    assert r.status_code == 422, (case, r.get_json())
    error = r.get_json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["id_number"]
    assert error["fields"]["id_number"][0].startswith("ID number")


@pytest.mark.parametrize("field,value", [
    ("phone", "12345"),
    ("phone", "23904730000"),
    ("phone", "1390473000a"),
    ("phone", 13904730000.0),
    ("phone", True),
    ("area_code", "150303999999"),
    ("area_code", LASENGZHONG),  # a street: residents live in a community or grid
    ("area_code", "150303"),  # the district
    ("area_code", ["x"]),
    ("assistance_type", "vip"),
    ("assistance_type", 1),
    ("name", ""),
    ("name", "   "),
    ("name", "王" * 51),
    ("name", 12.5),
    ("name", False),
    ("name", {"a": 1}),
    ("name", "王\x07守义"),
    ("name", "---"),
    ("address", "x" * 201),
    ("address", "一号\n二号"),
    ("assistance_since", "2024/01/01"),
    ("assistance_since", "2999-01-01"),
    ("assistance_since", 20240101),
    ("emergency_contact_phone", "110"),
    ("household", "spouse"),
    ("household", [{"relation": "配偶"}]),
    ("household", [{"relation": "配偶", "name": "李秀英", "id_number": "123"}]),
    ("household", [{"relation": "配偶", "name": "李秀英", "phone": "123"}]),
    ("conditions", "lives alone"),
    ("assessed_on", "2024-02-30"),
])
def test_invalid_fields_answer_422_naming_the_field(api, resident_data, field, value):
    r = api("caseworker").post("/api/v1/residents", json=resident_data(**{field: value}), headers=EN)
    assert r.status_code == 422, (field, value, r.get_json())
    fields = r.get_json()["error"]["fields"]
    assert field in fields, fields
    assert all(isinstance(m, str) and m for m in fields[field])


@pytest.mark.parametrize("conditions,key", [
    ({"self_care_level": 5}, "conditions.self_care_level"),
    ({"self_care_level": -1}, "conditions.self_care_level"),
    ({"self_care_level": "²"}, "conditions.self_care_level"),
    ({"self_care_level": True}, "conditions.self_care_level"),
    ({"self_care_level": 1.5}, "conditions.self_care_level"),
    ({"disability_grade": "grade 1"}, "conditions.disability_grade"),
    ({"lives_alone": "maybe"}, "conditions.lives_alone"),
    ({"lives_alone": 2}, "conditions.lives_alone"),
    ({"lives_alone": [True]}, "conditions.lives_alone"),
    ({"child_status": "orphan"}, "conditions.child_status"),
    ({"child_status": 3}, "conditions.child_status"),
    ({"flying": True}, "conditions.flying"),
])
def test_invalid_conditions_answer_422_naming_the_condition(api, resident_data, conditions, key):
    r = api("caseworker").post("/api/v1/residents", json=resident_data(conditions=conditions), headers=EN)
    assert r.status_code == 422, r.get_json()
    assert key in r.get_json()["error"]["fields"]


def test_missing_required_fields_are_all_reported_at_once(api):
    r = api("caseworker").post("/api/v1/residents", json={"phone": "bad"}, headers=EN)
    assert r.status_code == 422
    fields = r.get_json()["error"]["fields"]
    assert {"id_number", "name", "area_code", "assistance_type", "phone"} <= set(fields)
    assert fields["name"] == ["Name: is required"]


def test_mobile_number_is_normalised(api, resident_data):
    r = api("caseworker").post("/api/v1/residents", json=resident_data(phone="+86 139-0473-1234"))
    assert r.status_code == 201 and r.get_json()["phone"] == "13904731234"
    r = api("caseworker").post("/api/v1/residents", json=resident_data(phone="１３９０４７３５６７８"))
    assert r.status_code == 201 and r.get_json()["phone"] == "13904735678"


def test_household_members_are_kept_with_their_id_numbers_masked(api, resident_data):
    spouse = id_number(birth=dt.date(1946, 1, 2), male=False)
    r = api("caseworker").post("/api/v1/residents", json=resident_data(household=[
        {"relation": "配偶", "name": "李秀英", "id_number": spouse, "phone": "13904739999"},
        {"relation": "子", "name": "王强"}]))
    assert r.status_code == 201, r.get_json()
    household = r.get_json()["household"]
    assert [(m["relation"], m["name"]) for m in household] == [("配偶", "李秀英"), ("子", "王强")]
    assert household[0]["id_number_masked"] == masked(spouse) and household[1]["id_number_masked"] is None
    assert spouse not in r.get_data(as_text=True)


def test_target_group_start_date_defaults_to_today_and_can_be_given(api, resident_data):
    c = api("caseworker")
    assert c.post("/api/v1/residents", json=resident_data()).get_json()["assistance_since"] == local_today().isoformat()
    body = c.post("/api/v1/residents", json=resident_data(assistance_since="2023-07-01")).get_json()
    assert body["assistance_since"] == "2023-07-01"


# --- duplicates -----------------------------------------------------------------------------------

def test_a_second_registration_of_the_same_id_number_is_409_with_the_existing_id(api, resident_data):
    number = id_number()
    c = api("caseworker")
    first = c.post("/api/v1/residents", json=resident_data(id_number=number)).get_json()
    r = c.post("/api/v1/residents", json=resident_data(id_number=number, name="李四"))
    assert r.status_code == 409
    error = r.get_json()["error"]
    assert error["code"] == "duplicate" and error["existing_id"] == first["id"]
    assert "王守义" in error["message"]  # in scope: the caller may see whose number it is
    count = c.get("/api/v1/residents").get_json()["items"]
    assert len(count) == 1


def test_duplicate_outside_the_callers_scope_does_not_reveal_the_name(api, resident_data):
    number = id_number()
    first = api("caseworker", areas=[HUAYUAN]).post("/api/v1/residents", json=resident_data(id_number=number)).get_json()
    other = api("caseworker", areas=[XIZHUOZISHAN_C])
    r = other.post("/api/v1/residents", json=resident_data(id_number=number, area_code=XIZHUOZISHAN_C))
    assert r.status_code == 409 and r.get_json()["error"]["existing_id"] == first["id"]
    assert "王守义" not in r.get_data(as_text=True)


# --- the full ID number never leaves ---------------------------------------------------------------

def test_the_full_id_number_is_in_no_answer(api, resident_data, client):
    number = number_ending_in_x()
    c = api("caseworker")
    texts = []
    r = c.post("/api/v1/residents", json=resident_data(id_number=number, assistance_since="2020-01-01"))
    texts.append(r.get_data(as_text=True))
    rid, version = r.get_json()["id"], r.get_json()["version"]
    texts.append(c.get(f"/api/v1/residents/{rid}").get_data(as_text=True))
    texts.append(c.get("/api/v1/residents").get_data(as_text=True))
    texts.append(c.get(f"/api/v1/residents?q={number[-6:]}").get_data(as_text=True))
    texts.append(c.get(f"/api/v1/residents?q={number}").get_data(as_text=True))
    r = c.patch(f"/api/v1/residents/{rid}", json={"version": version, "address": "新地址"})
    texts.append(r.get_data(as_text=True))
    r = c.post(f"/api/v1/residents/{rid}/status", json={"status": "suspended", "reason": "住院"})
    texts.append(r.get_data(as_text=True))
    texts.append(c.post("/api/v1/residents", json=resident_data(id_number=number)).get_data(as_text=True))
    texts.append(api("auditor").get(f"/api/v1/residents/{rid}").get_data(as_text=True))
    texts.append(api("admin").get("/api/v1/audit").get_data(as_text=True))
    assert len(texts) == 10
    for text in texts:
        assert number not in text and number[6:14] not in text  # not even the birth-date part
    assert masked(number) in texts[1]


# --- lists, filters, search -----------------------------------------------------------------------

@pytest.fixture
def register(api):
    admin = api("admin")

    def do(**kw):
        from tests.conftest import id_number as make_number
        body = {"id_number": kw.pop("id_number", None) or make_number(), "name": kw.pop("name", "王守义"),
                "phone": kw.pop("phone", None), "address": "海南区", "area_code": kw.pop("area_code", HUAYUAN),
                "assistance_type": kw.pop("assistance_type", "dibao"), "conditions": kw.pop("conditions", {})}
        body.update(kw)
        r = admin.post("/api/v1/residents", json=body)
        assert r.status_code == 201, r.get_json()
        return r.get_json()
    do.admin = admin
    return do


def ids(resp) -> set[int]:
    assert resp.status_code == 200, resp.get_json()
    return {item["id"] for item in resp.get_json()["items"]}


def test_list_filters_by_area_target_group_status_and_conditions(register):
    a = register(area_code=HUAYUAN, assistance_type="tekun", conditions={"lives_alone": True, "bedridden": True})
    b = register(area_code=XINQIAO, assistance_type="dibao", conditions={"lives_alone": True})
    c = register(area_code=XIZHUOZISHAN_C, assistance_type="dibao")
    admin = register.admin
    admin.post(f"/api/v1/residents/{c['id']}/status", json={"status": "suspended", "reason": "外出务工"})
    assert ids(admin.get("/api/v1/residents")) == {a["id"], b["id"], c["id"]}
    assert ids(admin.get(f"/api/v1/residents?area_code={HUAYUAN}")) == {a["id"]}
    assert ids(admin.get(f"/api/v1/residents?area_code={LASENGZHONG}")) == {a["id"], b["id"]}  # a street: below it
    assert ids(admin.get("/api/v1/residents?area_code=150303")) == {a["id"], b["id"], c["id"]}
    assert ids(admin.get("/api/v1/residents?assistance_type=dibao")) == {b["id"], c["id"]}
    assert ids(admin.get("/api/v1/residents?status=suspended")) == {c["id"]}
    assert ids(admin.get("/api/v1/residents?status=active")) == {a["id"], b["id"]}
    assert ids(admin.get("/api/v1/residents?condition=lives_alone")) == {a["id"], b["id"]}
    assert ids(admin.get("/api/v1/residents?condition=lives_alone&condition=bedridden")) == {a["id"]}
    assert ids(admin.get("/api/v1/residents?assistance_type=dibao&condition=lives_alone")) == {b["id"]}


def test_age_and_self_care_filters(register):
    old = register(id_number=id_number(birth=dt.date(1940, 1, 1)), conditions={"self_care_level": 3})
    young = register(id_number=id_number(birth=dt.date(2015, 6, 1)))
    admin = register.admin
    assert ids(admin.get("/api/v1/residents?min_age=60")) == {old["id"]}
    assert ids(admin.get("/api/v1/residents?max_age=17")) == {young["id"]}
    assert ids(admin.get("/api/v1/residents?min_self_care=2")) == {old["id"]}


@pytest.mark.parametrize("query,field", [
    ("assistance_type=vip", "assistance_type"),
    ("status=dead", "status"),
    ("area_code=999", "area_code"),
    ("condition=flying", "condition"),
    ("min_age=abc", "min_age"),
    ("min_age=99999", "min_age"),
    ("max_age=-1", "max_age"),
    ("min_self_care=9", "min_self_care"),
    ("limit=201", "limit"),
    ("limit=0", "limit"),
    ("limit=ten", "limit"),
    ("cursor=not-a-cursor", "cursor"),
])
def test_bad_list_parameters_answer_422_naming_them(api, query, field):
    r = api("admin").get("/api/v1/residents?" + query)
    assert r.status_code == 422, (query, r.get_json())
    assert field in r.get_json()["error"]["fields"]


def test_search_by_name_pinyin_initials_phone_and_id_tail(register):
    wang = register(name="王守义", phone="13904731234", id_number=number_ending_in_x())
    li = register(name="李淑芬", phone="13604735678", id_number=id_number(birth=dt.date(1950, 1, 1), seq=123))
    admin = register.admin
    number = wang["id"] and admin.get(f"/api/v1/residents/{wang['id']}").get_json()["id_number_masked"]
    tail4 = number[-4:]
    assert tail4.endswith("X")
    for q in ("王守义", "守义", "wsy", "WSY", "ws", "wangshouyi", "wang", "13904731234", "1234",
              tail4, tail4.lower(), "3904731234"):
        assert ids(admin.get("/api/v1/residents", query_string={"q": q})) == {wang["id"]}, q
    assert ids(admin.get("/api/v1/residents", query_string={"q": "lsf"})) == {li["id"]}
    assert ids(admin.get("/api/v1/residents", query_string={"q": "5678"})) == {li["id"]}
    assert ids(admin.get("/api/v1/residents", query_string={"q": "zzz"})) == set()
    assert ids(admin.get("/api/v1/residents", query_string={"q": "0000"})) == set()


def test_search_by_the_last_6_or_all_18_characters_of_the_id_number(register, app):
    number = number_ending_in_x()
    wang = register(id_number=number)
    # Another resident whose number has the same last 4 but not the same last 6.
    same_tail = None
    for seq in range(1000):
        candidate = idnumber.make("150303", dt.date(1961, 8, 8), seq)
        if candidate[-4:] == number[-4:] and candidate[-6:] != number[-6:]:
            same_tail = candidate
            break
    other = register(id_number=same_tail, name="赵六") if same_tail else None
    admin = register.admin
    assert ids(admin.get("/api/v1/residents", query_string={"q": number[-6:]})) == {wang["id"]}
    assert ids(admin.get("/api/v1/residents", query_string={"q": number[-6:].lower()})) == {wang["id"]}
    assert ids(admin.get("/api/v1/residents", query_string={"q": number})) == {wang["id"]}
    if other:
        assert ids(admin.get("/api/v1/residents", query_string={"q": number[-4:]})) == {wang["id"], other["id"]}


def test_pagination_with_limit_and_cursor_visits_every_resident_once(register):
    made = {register(name=name)["id"] for name in ("赵一", "钱二", "孙三", "李四", "周五")}
    admin = register.admin
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = admin.get("/api/v1/residents", query_string=query).get_json()
        assert len(body["items"]) <= 2
        seen += [i["id"] for i in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 5 and set(seen) == made
    default = admin.get("/api/v1/residents").get_json()
    assert len(default["items"]) == 5 and default["next_cursor"] is None


def test_tampered_cursors_answer_422_not_500(register):
    register()
    admin = register.admin
    for values in (["a", 10**30], ["a", "b"], ["a"], {"a": 1}, [[], []], ["a", True]):
        cursor = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
        r = admin.get("/api/v1/residents", query_string={"cursor": cursor})
        assert r.status_code == 422, (values, r.get_json())


# --- edits ----------------------------------------------------------------------------------------

def test_patch_with_the_current_version_saves_and_moves_the_version_on(api, resident_data):
    c = api("caseworker")
    body = c.post("/api/v1/residents", json=resident_data()).get_json()
    r = c.patch(f"/api/v1/residents/{body['id']}", json={"version": body["version"], "address": "新地址1号",
                                                         "phone": "13800000000"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["address"] == "新地址1号" and r.get_json()["phone"] == "13800000000"
    assert r.get_json()["version"] == body["version"] + 1
    assert r.get_json()["name"] == "王守义"  # untouched fields stay
    assert c.get(f"/api/v1/residents/{body['id']}").get_json()["address"] == "新地址1号"


def test_a_stale_version_answers_409_and_changes_nothing(api, resident_data):
    c = api("caseworker")
    body = c.post("/api/v1/residents", json=resident_data()).get_json()
    assert c.patch(f"/api/v1/residents/{body['id']}", json={"version": 1, "address": "甲"}).status_code == 200
    r = c.patch(f"/api/v1/residents/{body['id']}", json={"version": 1, "address": "乙"})
    assert r.status_code == 409
    assert r.get_json()["error"]["code"] == "stale_version" and r.get_json()["error"]["current_version"] == 2
    assert c.get(f"/api/v1/residents/{body['id']}").get_json()["address"] == "甲"


@pytest.mark.parametrize("version", [None, "abc", True, 1.0, [1], "1.5"])
def test_patch_needs_a_whole_number_version(api, resident_data, version):
    c = api("caseworker")
    body = c.post("/api/v1/residents", json=resident_data()).get_json()
    patch = {"address": "x"} if version is None else {"address": "x", "version": version}
    r = c.patch(f"/api/v1/residents/{body['id']}", json=patch)
    assert r.status_code == 422 and "version" in r.get_json()["error"]["fields"], r.get_json()


@pytest.mark.parametrize("field", ["name", "id_number", "area_code", "assistance_type"])
def test_patch_cannot_empty_a_required_field(api, resident_data, field):
    c = api("caseworker")
    body = c.post("/api/v1/residents", json=resident_data()).get_json()
    for value in (None, ""):
        r = c.patch(f"/api/v1/residents/{body['id']}", json={"version": body["version"], field: value})
        assert r.status_code == 422 and field in r.get_json()["error"]["fields"], r.get_json()


def test_patch_of_the_id_number_derives_gender_and_birth_date_again(api, resident_data):
    c = api("caseworker")
    body = c.post("/api/v1/residents", json=resident_data(id_number=id_number(birth=dt.date(1944, 5, 6)))).get_json()
    new = id_number(birth=dt.date(1945, 7, 8), male=False)
    r = c.patch(f"/api/v1/residents/{body['id']}", json={"version": 1, "id_number": new})
    assert r.status_code == 200
    assert r.get_json()["birth_date"] == "1945-07-08" and r.get_json()["gender"] == "female"
    assert r.get_json()["id_number_masked"] == masked(new)


def test_patch_to_an_id_number_registered_to_someone_else_is_a_duplicate(api, resident_data):
    c = api("caseworker")
    one = c.post("/api/v1/residents", json=resident_data()).get_json()
    taken = id_number()
    two = c.post("/api/v1/residents", json=resident_data(id_number=taken)).get_json()
    r = c.patch(f"/api/v1/residents/{one['id']}", json={"version": 1, "id_number": taken})
    assert r.status_code == 409 and r.get_json()["error"]["existing_id"] == two["id"]


def _assessments(db, rid):
    return db.session.scalars(sa.select(Assessment).where(Assessment.resident_id == rid)
                              .order_by(Assessment.id)).all()


def test_changed_conditions_make_a_dated_assessment_by_the_caller(api, resident_data, db):
    c = api("caseworker")
    body = c.post("/api/v1/residents", json=resident_data(conditions={"lives_alone": True})).get_json()
    assert len(_assessments(db, body["id"])) == 1
    # PATCH merges the conditions it names into the current ones.
    r = c.patch(f"/api/v1/residents/{body['id']}", json={"version": 1, "conditions": {"bedridden": True,
                                                                                     "self_care_level": "3"}})
    assert r.status_code == 200, r.get_json()
    conditions = r.get_json()["conditions"]
    assert conditions["bedridden"] is True and conditions["self_care_level"] == 3
    assert conditions["lives_alone"] is True
    db.session.expire_all()
    assessments = _assessments(db, body["id"])
    assert len(assessments) == 2
    latest = assessments[-1]
    assert latest.assessor_id == c.user.id and latest.assessed_on == local_today()
    assert latest.conditions["bedridden"] is True and latest.conditions["lives_alone"] is True


def test_unchanged_conditions_make_no_assessment_but_a_new_date_does(api, resident_data, db):
    c = api("caseworker")
    body = c.post("/api/v1/residents", json=resident_data(conditions={"lives_alone": True})).get_json()
    r = c.patch(f"/api/v1/residents/{body['id']}", json={"version": 1, "address": "x",
                                                         "conditions": {"lives_alone": True}})
    assert r.status_code == 200
    r = c.patch(f"/api/v1/residents/{body['id']}", json={"version": r.get_json()["version"],
                                                         "conditions": body["conditions"],
                                                         "assessed_on": body["assessed_on"]})
    assert r.status_code == 200
    db.session.expire_all()
    assert len(_assessments(db, body["id"])) == 1
    r = c.patch(f"/api/v1/residents/{body['id']}", json={"version": r.get_json()["version"],
                                                         "assessed_on": "2025-01-15"})
    assert r.status_code == 200 and r.get_json()["assessed_on"] == "2025-01-15"
    db.session.expire_all()
    assert [a.assessed_on for a in _assessments(db, body["id"])][-1] == dt.date(2025, 1, 15)


def test_a_new_target_group_starts_today_unless_a_date_is_given(api, resident_data):
    c = api("caseworker")
    body = c.post("/api/v1/residents", json=resident_data(assistance_since="2020-01-01")).get_json()
    r = c.patch(f"/api/v1/residents/{body['id']}", json={"version": 1, "assistance_type": "tekun"})
    assert r.get_json()["assistance_type"] == "tekun"
    assert r.get_json()["assistance_since"] == local_today().isoformat()
    r = c.patch(f"/api/v1/residents/{body['id']}", json={"version": 2, "assistance_type": "dibao",
                                                         "assistance_since": "2024-03-01"})
    assert r.get_json()["assistance_since"] == "2024-03-01"


def test_household_only_edit_moves_the_version_on(api, resident_data):
    c = api("caseworker")
    body = c.post("/api/v1/residents", json=resident_data()).get_json()
    r = c.patch(f"/api/v1/residents/{body['id']}", json={"version": 1, "household": [{"relation": "子", "name": "王强"}]})
    assert r.status_code == 200 and r.get_json()["version"] == 2
    stale = c.patch(f"/api/v1/residents/{body['id']}", json={"version": 1, "household": []})
    assert stale.status_code == 409


# --- status ---------------------------------------------------------------------------------------

def test_status_changes_need_a_reason_and_are_kept_as_history(api, resident_data, db):
    c = api("caseworker")
    rid = c.post("/api/v1/residents", json=resident_data()).get_json()["id"]
    r = c.post(f"/api/v1/residents/{rid}/status", json={"status": "suspended", "reason": "住院治疗",
                                                        "reason_kind": "institution"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "suspended" and r.get_json()["status_reason"] == "住院治疗"
    r = c.post(f"/api/v1/residents/{rid}/status", json={"status": "active", "reason": "出院回家"})
    assert r.status_code == 200 and r.get_json()["status"] == "active"
    r = c.post(f"/api/v1/residents/{rid}/status", json={"status": "terminated", "reason": "迁出本区",
                                                        "reason_kind": "moved_away", "effective_on": "2026-01-31"})
    assert r.status_code == 200 and r.get_json()["status"] == "terminated"
    history = db.session.scalars(sa.select(StatusChange).where(StatusChange.resident_id == rid)
                                 .order_by(StatusChange.id)).all()
    assert [(h.from_status, h.to_status, h.reason) for h in history] == [
        ("active", "suspended", "住院治疗"), ("suspended", "active", "出院回家"), ("active", "terminated", "迁出本区")]
    assert all(h.actor_id == c.user.id for h in history)
    assert history[-1].effective_on == dt.date(2026, 1, 31) and history[-1].reason_kind == "moved_away"


@pytest.mark.parametrize("body,field", [
    ({"status": "suspended"}, "reason"),
    ({"status": "suspended", "reason": "   "}, "reason"),
    ({"status": "suspended", "reason": "x" * 501}, "reason"),
    ({"status": "asleep", "reason": "x"}, "status"),
    ({"reason": "x"}, "status"),
    ({"status": "suspended", "reason": "x", "reason_kind": "bored"}, "reason_kind"),
    ({"status": "suspended", "reason": "x", "effective_on": "tomorrow"}, "effective_on"),
])
def test_invalid_status_changes_answer_422(api, resident_data, body, field):
    c = api("caseworker")
    rid = c.post("/api/v1/residents", json=resident_data()).get_json()["id"]
    r = c.post(f"/api/v1/residents/{rid}/status", json=body)
    assert r.status_code == 422 and field in r.get_json()["error"]["fields"], r.get_json()
    assert c.get(f"/api/v1/residents/{rid}").get_json()["status"] == "active"


def test_illegal_status_transitions_answer_409(api, resident_data):
    c = api("caseworker")
    rid = c.post("/api/v1/residents", json=resident_data()).get_json()["id"]
    r = c.post(f"/api/v1/residents/{rid}/status", json={"status": "active", "reason": "again"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "illegal_state"
    c.post(f"/api/v1/residents/{rid}/status", json={"status": "terminated", "reason": "去世", "reason_kind": "deceased"})
    r = c.post(f"/api/v1/residents/{rid}/status", json={"status": "suspended", "reason": "x"})
    assert r.status_code == 409
    stale = c.post(f"/api/v1/residents/{rid}/status", json={"status": "active", "reason": "x", "version": 1})
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "stale_version"


# --- scope ----------------------------------------------------------------------------------------

def test_a_caseworker_of_another_area_gets_404_everywhere_and_sees_nothing(api, resident_data):
    mine = api("caseworker", areas=[HUAYUAN])
    body = mine.post("/api/v1/residents", json=resident_data(name="王守义", phone="13904731234")).get_json()
    rid, tail = body["id"], body["id_number_masked"][-4:]
    other = api("caseworker", areas=[XIZHUOZISHAN_C])
    assert other.get(f"/api/v1/residents/{rid}").status_code == 404
    r = other.patch(f"/api/v1/residents/{rid}", json={"version": 1, "address": "x"})
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    assert other.post(f"/api/v1/residents/{rid}/status", json={"status": "suspended", "reason": "x"}).status_code == 404
    # 404 exactly like an id that does not exist.
    missing = other.get("/api/v1/residents/999999")
    assert missing.status_code == 404 and missing.get_json() == other.get(f"/api/v1/residents/{rid}").get_json()
    for q in (None, "王守义", "wsy", "13904731234", "1234", tail):
        assert ids(other.get("/api/v1/residents", query_string={"q": q} if q else {})) == set(), q
    assert ids(other.get(f"/api/v1/residents?area_code={HUAYUAN}")) == set()
    assert mine.get(f"/api/v1/residents/{rid}").get_json()["address"] != "x"


def test_a_caseworker_cannot_register_or_move_a_resident_outside_their_areas(api, resident_data):
    c = api("caseworker", areas=[HUAYUAN])
    r = c.post("/api/v1/residents", json=resident_data(area_code=XINQIAO))
    assert r.status_code == 422 and "area_code" in r.get_json()["error"]["fields"]
    rid = c.post("/api/v1/residents", json=resident_data()).get_json()["id"]
    r = c.patch(f"/api/v1/residents/{rid}", json={"version": 1, "area_code": XINQIAO})
    assert r.status_code == 422 and "area_code" in r.get_json()["error"]["fields"]


def test_a_street_scoped_caseworker_sees_its_communities(api, resident_data):
    admin = api("admin")
    huayuan = admin.post("/api/v1/residents", json=resident_data(area_code=HUAYUAN)).get_json()
    xinqiao = admin.post("/api/v1/residents", json=resident_data(area_code=XINQIAO)).get_json()
    elsewhere = admin.post("/api/v1/residents", json=resident_data(area_code=XIZHUOZISHAN_C)).get_json()
    street = api("caseworker", areas=[LASENGZHONG])
    assert ids(street.get("/api/v1/residents")) == {huayuan["id"], xinqiao["id"]}
    assert street.get(f"/api/v1/residents/{xinqiao['id']}").status_code == 200
    assert street.get(f"/api/v1/residents/{elsewhere['id']}").status_code == 404
    # It may register in any community of its street, not above it.
    assert street.post("/api/v1/residents", json=resident_data(area_code=XINQIAO)).status_code == 201
    two_areas = api("caseworker", areas=[HUAYUAN, XIZHUOZISHAN_C])
    assert ids(two_areas.get("/api/v1/residents")) >= {huayuan["id"], elsewhere["id"]}
    assert xinqiao["id"] not in ids(two_areas.get("/api/v1/residents"))
    district = api("caseworker", areas=["150303"])
    assert ids(district.get("/api/v1/residents")) >= {huayuan["id"], xinqiao["id"], elsewhere["id"]}


def test_an_auditor_reads_everything_and_changes_nothing(api, resident_data):
    rid = api("caseworker").post("/api/v1/residents", json=resident_data()).get_json()["id"]
    auditor = api("auditor")
    body = auditor.get(f"/api/v1/residents/{rid}").get_json()
    assert body["id_number_masked"] and body["conditions"]["lives_alone"] is True
    assert ids(auditor.get("/api/v1/residents")) == {rid}
    for resp in (auditor.post("/api/v1/residents", json=resident_data()),
                 auditor.patch(f"/api/v1/residents/{rid}", json={"version": 1, "address": "x"}),
                 auditor.post(f"/api/v1/residents/{rid}/status", json={"status": "suspended", "reason": "x"})):
        assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"
    assert auditor.get(f"/api/v1/residents/{rid}").get_json()["version"] == 1


def test_a_provider_sees_no_resident_without_a_plan(api, resident_data):
    rid = api("caseworker").post("/api/v1/residents", json=resident_data()).get_json()["id"]
    provider = api("provider")
    assert ids(provider.get("/api/v1/residents")) == set()
    assert provider.get(f"/api/v1/residents/{rid}").status_code == 404
    assert provider.post("/api/v1/residents", json=resident_data()).status_code == 403
    assert provider.patch(f"/api/v1/residents/{rid}", json={"version": 1}).status_code == 403


def test_a_provider_with_a_plan_sees_only_the_contact_fields(api, resident_data, make_user):
    admin = api("admin")
    caseworker = api("caseworker")
    rid = caseworker.post("/api/v1/residents", json=resident_data(
        id_number=id_number(birth=dt.date(1940, 1, 1)), conditions={"self_care_level": 3})).get_json()["id"]
    provider = admin.post("/api/v1/providers", json={
        "name": "颐康居家养老服务中心", "uscc": "91110108551385082Q", "item_codes": ["A1"],
        "area_codes": [LASENGZHONG], "weekly_capacity": 50}).get_json()
    plan = caseworker.post("/api/v1/plans", json={
        "resident_id": rid, "item_code": "A1", "provider_id": provider["id"], "rrule": "FREQ=WEEKLY;BYDAY=MO",
        "start_date": (local_today() + dt.timedelta(days=1)).isoformat(), "start_time": "09:00",
        "duration_minutes": 30, "quantity_per_visit": 1, "monthly_cap": 10})
    assert plan.status_code == 201, plan.get_json()
    from assist.providers.models import Provider
    from assist.extensions import db
    staff = api(make_user("provider", provider=db.session.get(Provider, provider["id"])))
    listed = staff.get("/api/v1/residents").get_json()["items"]
    assert [r["id"] for r in listed] == [rid]
    one = staff.get(f"/api/v1/residents/{rid}").get_json()
    for body in (listed[0], one):
        assert set(body) == {"id", "name", "gender", "age", "phone", "address", "area_code"}
    other_staff = api("provider")
    assert other_staff.get(f"/api/v1/residents/{rid}").status_code == 404


def test_a_partner_unit_user_may_not_list_residents(api):
    assert api("unit").get("/api/v1/residents").status_code == 403
