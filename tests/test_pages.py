"""The HTML side of the foundation: login/logout, navigation per role, the resident form (input kept
on every error, duplicates, stale edits), error pages in both languages, CSRF, the admin's user pages."""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import sqlalchemy as sa

from assist.auth.models import User
from assist.core.permissions import public
from assist.residents.models import Assessment, HouseholdMember, Resident
from tests.conftest import HUAYUAN, PASSWORD, XINQIAO, XIZHUOZISHAN_C, id_number, make_app


def text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def nav(resp) -> str:
    page = resp.get_data(as_text=True)
    return page[page.index("<nav"):page.index("</nav>")]


def form_values(resp) -> dict:
    """name → value of the inputs on a page (as the browser would submit them)."""
    page = resp.get_data(as_text=True)
    values = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if kind and kind.group(1) == "checkbox":
            if "checked" in tag:
                values[name.group(1)] = "y"
            continue
        if kind and kind.group(1) == "submit":
            continue
        values[name.group(1)] = html.unescape(value.group(1)) if value else ""
    for select in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|<option[^>]*value="([^"]*)"[^>]*selected',
                           select.group(2))
        first = re.search(r'<option[^>]*value="([^"]*)"', select.group(2))
        values[select.group(1)] = (chosen.group(1) or chosen.group(2)) if chosen else (first.group(1) if first else "")
    return values


def register_form(**overrides) -> dict:
    data = {"id_number": id_number(), "name": "王守义", "phone": "13904730000", "address": "华苑小区3号楼",
            "area_code": HUAYUAN, "assistance_type": "dibao", "self_care_level": "2", "disability_grade": "0",
            "child_status": "none", "lives_alone": "y"}
    data.update(overrides)
    return data


# --- login and logout -----------------------------------------------------------------------------

def test_login_page_is_chinese_by_default_and_logs_in(client, make_user):
    user = make_user("caseworker")
    page = client.get("/login")
    assert page.status_code == 200 and "登录" in text(page) and 'lang="zh-CN"' in text(page)
    wrong = client.post("/login", data={"username": user.username, "password": "wrong-password-1"})
    assert wrong.status_code == 401 and "用户名或密码错误" in text(wrong)
    assert f'value="{user.username}"' in wrong.get_data(as_text=True)  # what was typed stays
    empty = client.post("/login", data={"username": "", "password": ""})
    assert empty.status_code == 422
    ok = client.post("/login?next=/residents/", data={"username": user.username, "password": PASSWORD})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/residents/")
    assert client.get("/residents/").status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example", "/\t/evil.example", "https://evil.example/",
                                    "javascript:alert(1)", "/%2F%2Fevil.example"])
def test_login_never_redirects_off_site(client, make_user, target):
    user = make_user("caseworker")
    r = client.post("/login", query_string={"next": target}, data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 302
    location = r.headers["Location"]
    assert "evil.example" not in location.replace("%2F%2Fevil.example", "") and "javascript" not in location


def test_throttled_login_page_answers_429(app, client, make_user):
    user = make_user("caseworker")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/login", data={"username": user.username, "password": "wrong-password-1"})
    r = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 429 and "登录失败次数过多" in text(r)


def test_logout_ends_the_session(client, login):
    login("caseworker")
    assert client.get("/").status_code == 200
    r = client.post("/logout")
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    assert "/login" in client.get("/").headers["Location"]
    assert client.get("/logout").status_code == 405  # logging out is a POST (CSRF-protected)


def test_a_password_change_ends_other_sessions(client, login, api):
    user = login("caseworker")
    version = user.version
    api("admin").patch(f"/api/v1/users/{user.id}", json={"version": version, "password": "another-long-secret-7"})
    r = client.get("/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


# --- navigation per role --------------------------------------------------------------------------

@pytest.mark.parametrize("role,visible,hidden", [
    ("admin", ["/residents/", "/audit", "/admin/users"], []),
    ("caseworker", ["/residents/"], ["/audit", "/admin/users"]),
    ("auditor", ["/residents/", "/audit"], ["/admin/users"]),
    ("provider", [], ["/residents/", "/audit", "/admin/users"]),
    ("unit", [], ["/residents/", "/audit", "/admin/users"]),
])
def test_navigation_fits_the_role(client, login, role, visible, hidden):
    login(role)
    menu = nav(client.get("/"))
    for href in visible:
        assert f'href="{href}"' in menu, (role, href)
    for href in hidden:
        assert f'href="{href}"' not in menu, (role, href)
    assert "退出登录" in menu


def test_bootstrap_is_served_locally(client):
    page = client.get("/login").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:css|js))"', page)
    assert any("bootstrap" in a for a in assets), assets
    for asset in assets:
        assert asset.startswith("/"), asset  # never a CDN
        assert client.get(asset).status_code == 200, asset
    assert "cdn." not in page and "jsdelivr" not in page


# --- the resident form ----------------------------------------------------------------------------

def test_registering_redirects_to_the_masked_record(client, login, db):
    login("caseworker")
    data = register_form()
    r = client.post("/residents/new", data=data)
    assert r.status_code == 302, text(r)[:2000]
    detail = client.get(r.headers["Location"])
    page = text(detail)
    assert detail.status_code == 200 and "王守义" in page
    assert data["id_number"] not in page and data["id_number"][:6] + "********" + data["id_number"][-4:] in page
    resident = db.session.scalars(sa.select(Resident)).one()
    assert resident.lives_alone is True and resident.self_care_level == 2


def test_an_invalid_registration_keeps_everything_that_was_typed(client, login, db):
    login("caseworker")
    data = register_form(id_number="15030319440506001", address="华苑小区3号楼2单元101", phone="13904731234",
                         assistance_since="2024-13-45", emergency_contact_name="王强",
                         **{"household-0-relation": "子", "household-0-name": "王强"})
    r = client.post("/residents/new", data=data)
    assert r.status_code == 422
    page = text(r)
    for typed in ("15030319440506001", "王守义", "华苑小区3号楼2单元101", "13904731234", "2024-13-45", "王强", "子"):
        assert f'value="{typed}"' in page, typed
    values = form_values(r)
    assert values["area_code"] == HUAYUAN and values["assistance_type"] == "dibao"
    assert values["self_care_level"] == "2" and values.get("lives_alone") == "y"
    # Messages name their fields, next to them, in Chinese.
    assert re.search(r'data-field="id_number">身份证号：必须是 18 位', page)
    assert re.search(r'data-field="assistance_since">纳入救助日期：日期须写作 YYYY-MM-DD', page)
    assert "请更正标记的字段" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Resident)) == 0


def test_condition_and_household_errors_are_shown_with_the_input_kept(client, login):
    login("caseworker")
    data = register_form(self_care_level="9", **{"household-0-id_number": "123"})
    r = client.post("/residents/new", data=data)
    assert r.status_code == 422
    page = text(r)
    assert re.search(r'data-field="self_care_level">失能等级：', page)
    assert "第 1 名成员" in page and 'value="123"' in page


def test_a_100000_character_name_is_refused_with_the_form_kept(client, login):
    login("caseworker")
    data = register_form(name="王" * 100_000)
    r = client.post("/residents/new", data=data)
    assert r.status_code == 422
    page = text(r)
    assert "姓名：不能超过 50 个字符" in page and data["id_number"] in page


def test_a_duplicate_registration_links_to_the_existing_record(client, login, make_resident):
    user = login("caseworker")
    existing = make_resident(actor=user)
    r = client.post("/residents/new", data=register_form(id_number=existing.id_number, name="李四"))
    assert r.status_code == 422
    page = text(r)
    assert 'data-testid="duplicate"' in page
    assert f'href="/residents/{existing.id}"' in page
    assert 'value="李四"' in page


def test_the_register_form_needs_a_writer(client, login):
    login("auditor")
    assert client.get("/residents/new").status_code == 403
    assert client.get("/residents/").status_code == 200


def test_the_edit_form_shows_masked_numbers_and_a_plain_save_changes_only_what_changed(client, login, make_resident, db):
    user = login("caseworker")
    spouse = id_number(birth=dt.date(1946, 1, 2), male=False)
    resident = make_resident(actor=user, household=[{"relation": "配偶", "name": "李秀英", "id_number": spouse,
                                                     "phone": "13904739999"}])
    rid, number = resident.id, resident.id_number
    form = client.get(f"/residents/{rid}/edit")
    assert form.status_code == 200
    page = text(form)
    assert number not in page and spouse not in page
    values = form_values(form)
    assert values["id_number"] == number[:6] + "********" + number[-4:]
    assert values["household-0-id_number"] == spouse[:6] + "********" + spouse[-4:]
    values["address"] = "新地址8号"
    r = client.post(f"/residents/{rid}/edit", data=values)
    assert r.status_code == 302, text(r)[:3000]
    db.session.expire_all()
    resident = db.session.get(Resident, rid)
    assert resident.address == "新地址8号" and resident.id_number == number
    members = db.session.scalars(sa.select(HouseholdMember).where(HouseholdMember.resident_id == rid)).all()
    assert [(m.name, m.id_number_enc, m.phone_enc) for m in members] == [("李秀英", spouse, "13904739999")]
    # Saving the form unchanged is no re-assessment.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assessment)
                             .where(Assessment.resident_id == rid)) == 1


def test_a_stale_edit_reshows_the_input_and_what_changed_meanwhile(client, login, make_resident, api, db):
    user = login("caseworker")
    resident = make_resident(actor=user, phone="13904730000")
    rid = resident.id
    values = form_values(client.get(f"/residents/{rid}/edit"))
    assert values["version"] == "1"
    # Meanwhile a colleague changes the phone number and a condition.
    colleague = api("caseworker")
    r = colleague.patch(f"/api/v1/residents/{rid}", json={"version": 1, "phone": "13811112222",
                                                          "conditions": {"bedridden": True}})
    assert r.status_code == 200
    values["address"] = "我填写的新地址"
    r = client.post(f"/residents/{rid}/edit", data=values)
    assert r.status_code == 409
    page = text(r)
    assert 'value="我填写的新地址"' in page  # the user's input is kept
    stale = page[page.index('data-testid="stale"'):]
    stale = stale[:stale.index("</div>")]
    assert colleague.user.username in stale
    rows = re.findall(r'<tr data-testid="stale-row"><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>', stale)
    assert ("电话", "13811112222", "13904730000") in rows
    assert ("长期卧床", "是", "否") in rows
    assert not any(label == "地址" for label, _, _ in rows)  # the user's own change is not "meanwhile"
    # The form now carries the current version: saving again goes through.
    again = form_values(r)
    assert again["version"] == "2"
    r = client.post(f"/residents/{rid}/edit", data=again)
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Resident, rid).address == "我填写的新地址"


def test_an_out_of_scope_resident_is_a_404_page(app, client, login, make_resident):
    resident = make_resident(area_code=XIZHUOZISHAN_C)
    login("caseworker", areas=[HUAYUAN])
    for url in (f"/residents/{resident.id}", f"/residents/{resident.id}/edit"):
        r = client.get(url)
        assert r.status_code == 404 and "未找到" in text(r) and resident.name not in text(r)
    r = client.post(f"/residents/{resident.id}/status", data={"status": "suspended", "reason": "x"})
    assert r.status_code == 404
    assert resident.name not in text(client.get("/residents/"))


def test_the_list_filters_and_reports_bad_filters(client, login, make_resident):
    login("caseworker", areas=["150303002000"])
    wang = make_resident(name="王守义", area_code=HUAYUAN)
    make_resident(name="李淑芬", area_code=XINQIAO)
    page = text(client.get("/residents/?q=wsy"))
    assert "王守义" in page and "李淑芬" not in page
    assert wang.id_number not in page and wang.id_number_masked in page
    page = text(client.get(f"/residents/?area_code={XINQIAO}"))
    assert "李淑芬" in page and "王守义" not in page
    bad = client.get("/residents/?min_age=abc&condition=flying")
    assert bad.status_code == 200 and "年龄不小于" in text(bad) and "flying" in text(bad)


def test_status_changes_from_the_detail_page(client, login, make_resident, db):
    user = login("caseworker")
    resident = make_resident(actor=user)
    r = client.post(f"/residents/{resident.id}/status", data={"status": "suspended", "reason": "住院",
                                                              "reason_kind": "institution", "version": "1"})
    assert r.status_code == 302
    page = text(client.get(f"/residents/{resident.id}"))
    assert "住院" in page and "暂停" in page
    r = client.post(f"/residents/{resident.id}/status", data={"status": "active", "reason": "", "version": "2"},
                    follow_redirects=True)
    assert "原因：必须填写" in text(r)


# --- error pages ----------------------------------------------------------------------------------

def test_error_pages_are_translated_and_follow_the_users_language(client, login):
    user = login("caseworker")
    r = client.get("/no-such-page")
    assert r.status_code == 404 and "未找到该页面或记录" in text(r) and "返回首页" in text(r)
    r = client.get("/admin/users")
    assert r.status_code == 403 and "您的角色无权执行此操作" in text(r)
    switched = client.post("/language", data={"locale": "en", "next": "/"})
    assert switched.status_code == 302
    r = client.get("/no-such-page")
    assert r.status_code == 404 and "The page or record was not found." in text(r) and 'lang="en"' in text(r)
    assert "Back to the start page" in text(r)
    r = client.get("/admin/users")
    assert r.status_code == 403 and "Your role may not do this." in text(r)
    assert client.post("/language", data={"locale": "zh_Hans_CN"}).status_code == 302
    assert "未找到" in text(client.get("/no-such-page"))
    assert user.locale == "zh_Hans_CN"


def test_400_405_and_413_pages(app, client, login):
    login("caseworker")
    app.config["WTF_CSRF_ENABLED"] = True
    r = client.post("/residents/new", data=register_form())
    assert r.status_code == 400 and "无法理解该请求" in text(r)
    app.config["WTF_CSRF_ENABLED"] = False
    r = client.put("/residents/new")
    assert r.status_code == 405 and "此处不允许该请求方法" in text(r)
    app.config["MAX_CONTENT_LENGTH"] = 1000
    r = client.post("/residents/new", data={"name": "x" * 5000}, content_type="multipart/form-data")
    assert r.status_code == 413 and "请求内容过大" in text(r)


@pytest.fixture
def boom_app(_schema):
    app = make_app()

    @app.get("/zz-boom")
    @public
    def boom():
        raise RuntimeError("secret detail of the failure")

    @app.get("/api/v1/zz-boom")
    @public
    def api_boom():
        raise RuntimeError("secret detail of the failure")
    return app


def test_the_500_page_has_a_correlation_id_and_no_traceback(boom_app, caplog):
    client = boom_app.test_client()
    r = client.get("/zz-boom")
    assert r.status_code == 500
    page = text(r)
    match = re.search(r"技术支持参考编号：([0-9a-f]{12})", page)
    assert match, page
    assert "Traceback" not in page and "secret detail" not in page and "RuntimeError" not in page
    assert "系统出现错误" in page
    # The id leads to the logged traceback.
    assert any(match.group(1) in rec.getMessage() and rec.exc_info for rec in caplog.records)
    r = client.get("/api/v1/zz-boom")
    assert r.status_code == 500 and r.is_json
    error = r.get_json()["error"]
    assert error["code"] == "internal_error" and re.fullmatch(r"[0-9a-f]{12}", error["correlation_id"])
    assert "secret detail" not in r.get_data(as_text=True)


def test_csrf_is_enforced_on_forms_when_enabled(app, client, login):
    login("caseworker")
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/residents/new", data=register_form()).status_code == 400
    assert client.post("/logout").status_code == 400
    token = form_values(client.get("/residents/new"))["csrf_token"]
    r = client.post("/residents/new", data=register_form(csrf_token=token))
    assert r.status_code == 302
    assert client.post("/language", data={"locale": "en", "csrf_token": token}).status_code == 302


def test_csrf_does_not_apply_to_the_bearer_token_api(app, api, resident_data):
    app.config["WTF_CSRF_ENABLED"] = True
    assert api("caseworker").post("/api/v1/residents", json=resident_data()).status_code == 201


# --- the admin's user pages -----------------------------------------------------------------------

def test_admin_lists_creates_and_edits_users(client, login, make_user, db):
    login("admin")
    colleague = make_user("caseworker", display_name="张三")
    listing = client.get("/admin/users")
    assert listing.status_code == 200 and colleague.username in text(listing) and "张三" in text(listing)
    assert client.get("/admin/users/new").status_code == 200
    r = client.post("/admin/users/new", data={"username": "li.hua", "display_name": "李华", "role": "caseworker",
                                              "area_codes": [HUAYUAN], "password": "a-long-password-1",
                                              "active": "y"})
    assert r.status_code == 302, text(r)[:2000]
    created = db.session.scalars(sa.select(User).where(User.username == "li.hua")).one()
    assert [a.code for a in created.areas] == [HUAYUAN] and created.display_name == "李华"
    edit = client.get(f"/admin/users/{created.id}")
    values = form_values(edit)
    assert values["version"] == str(created.version)
    r = client.post(f"/admin/users/{created.id}", data={"display_name": "李华", "role": "caseworker",
                                                        "area_codes": [HUAYUAN, XINQIAO], "version": values["version"]})
    assert r.status_code == 302  # active unticked: deactivated
    db.session.expire_all()
    created = db.session.get(User, created.id)
    assert created.active is False and {a.code for a in created.areas} == {HUAYUAN, XINQIAO}
    other = make_app().test_client()
    assert other.post("/login", data={"username": "li.hua", "password": "a-long-password-1"}).status_code == 401


def test_user_form_errors_keep_the_input_and_answer_422(client, login, db):
    login("admin")
    r = client.post("/admin/users/new", data={"username": "li.hua", "display_name": "李华", "role": "caseworker",
                                              "password": "short", "active": "y"})
    assert r.status_code == 422
    page = text(r)
    assert 'value="li.hua"' in page and 'value="李华"' in page
    assert re.search(r'data-field="password">密码：至少需要 10 个字符', page)
    assert re.search(r'data-field="area_codes">负责区域：工作人员至少需要一个负责区域', page)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.username == "li.hua")) == 0


def test_a_stale_user_edit_is_refused(client, login, make_user, api):
    login("admin")
    target = make_user("caseworker")
    values = form_values(client.get(f"/admin/users/{target.id}"))
    api("admin").patch(f"/api/v1/users/{target.id}", json={"version": int(values["version"]), "display_name": "甲"})
    r = client.post(f"/admin/users/{target.id}", data=values | {"display_name": "乙"})
    assert r.status_code == 409 and 'value="乙"' in text(r)
    assert "此记录已被他人修改" in text(r)


def test_user_pages_are_for_admins_only(client, login, make_user):
    target = make_user("auditor")
    login("caseworker")
    assert client.get("/admin/users").status_code == 403
    assert client.get(f"/admin/users/{target.id}").status_code == 403
    assert client.post("/admin/users/new", data={"username": "x.y.z", "role": "admin",
                                                 "password": "a-long-password-1"}).status_code == 403


@pytest.mark.parametrize("value", ["", " ", "x" * 1000, "-1", "9" * 30, "\u202e", "2024-02-30", "<script>"])
def test_odd_input_in_any_form_field_is_never_a_500(client, login, make_resident, value):
    user = login("caseworker")
    resident = make_resident(actor=user)
    fields = ["id_number", "name", "phone", "address", "area_code", "assistance_type", "assistance_since",
              "assessed_on", "emergency_contact_phone", "self_care_level", "disability_grade", "child_status",
              "household-0-relation", "household-0-id_number", "version"]
    for field in fields:
        r = client.post("/residents/new", data=register_form(**{field: value}))
        assert r.status_code in (302, 422), (field, value, r.status_code)
        if value == "<script>":
            assert "<script>" not in r.get_data(as_text=True).replace('<script src="/', "")  # escaped, never run
        edit = form_values(client.get(f"/residents/{resident.id}/edit"))
        r = client.post(f"/residents/{resident.id}/edit", data=edit | {field: value})
        assert r.status_code in (302, 409, 422), (field, value, r.status_code)
    r = client.post(f"/residents/{resident.id}/status", data={"status": value, "reason": value, "version": value})
    assert r.status_code == 302
