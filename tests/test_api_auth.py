"""Accounts over the API: tokens, throttling, sessions vs. tokens, users (API and CLI), and the
role × route matrix (deny by default)."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from assist.auth.models import ApiToken, LoginAttempt, User
from assist.core.db import utcnow
from assist.core.permissions import PUBLIC_ENDPOINTS, public, route_matrix
from tests.conftest import HUAYUAN, LASENGZHONG, PASSWORD, make_app


def token_for(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


# --- tokens ---------------------------------------------------------------------------------------

def test_token_issue_use_and_revoke(client, make_user):
    user = make_user("caseworker")
    r = token_for(client, user.username)
    assert r.status_code == 200
    body = r.get_json()
    assert body["role"] == "caseworker" and len(body["token"]) >= 32
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert expires.utcoffset() is not None  # ISO 8601 with offset
    assert dt.timedelta(hours=11) < expires - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(hours=12)
    me = client.get("/api/v1/me", headers=bearer(body["token"]))
    assert me.status_code == 200 and me.get_json()["username"] == user.username
    assert client.delete("/api/v1/auth/token", headers=bearer(body["token"])).status_code == 204
    after = client.get("/api/v1/me", headers=bearer(body["token"]))
    assert after.status_code == 401 and after.get_json()["error"]["code"] == "unauthorized"


def test_revoking_one_token_leaves_the_others(client, make_user):
    user = make_user("caseworker")
    one, two = token_for(client, user.username).get_json()["token"], token_for(client, user.username).get_json()["token"]
    client.delete("/api/v1/auth/token", headers=bearer(one))
    assert client.get("/api/v1/me", headers=bearer(two)).status_code == 200


def test_only_a_hash_of_the_token_is_stored(client, make_user, db):
    user = make_user("caseworker")
    token = token_for(client, user.username).get_json()["token"]
    stored = db.session.scalars(sa.select(ApiToken.token_hash)).all()
    assert len(stored) == 1 and token not in stored[0] and len(stored[0]) == 64


@pytest.mark.parametrize("body", [
    {"username": "nobody", "password": PASSWORD},
    {"username": "{user}", "password": "wrong-password-1"},
    {"username": "{user}", "password": ""},
    {"username": "{user}"},
    {},
    {"username": ["{user}"], "password": {"p": PASSWORD}},
])
def test_bad_credentials_answer_401(client, make_user, body):
    user = make_user("caseworker")
    body = {k: (v.replace("{user}", user.username) if isinstance(v, str) else v) for k, v in body.items()}
    r = client.post("/api/v1/auth/token", json=body)
    assert r.status_code == 401
    assert r.get_json()["error"]["code"] == "unauthorized" and r.get_json()["error"]["message"]
    assert "token" not in r.get_json()


def test_an_inactive_user_cannot_log_in(client, make_user, api):
    user = make_user("caseworker")
    admin = api("admin")
    assert admin.patch(f"/api/v1/users/{user.id}", json={"version": user.version, "active": False}).status_code == 200
    assert token_for(client, user.username).status_code == 401


def test_username_is_case_insensitive(client, make_user):
    user = make_user("caseworker", username="Zhang.San")
    assert user.username == "zhang.san"
    assert token_for(client, "ZHANG.SAN").status_code == 200


def test_too_many_failures_answer_429_with_retry_after(app, client, make_user):
    user = make_user("caseworker")
    other = make_user("caseworker")
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert token_for(client, user.username, "wrong-password-1").status_code == 401
    r = token_for(client, user.username)  # even the right password, now
    assert r.status_code == 429
    assert r.get_json()["error"]["code"] == "throttled"
    retry = int(r.headers["Retry-After"])
    assert 0 < retry <= app.config["LOGIN_FAILURE_WINDOW"]
    # Another account from the same address is not locked by these failures.
    assert token_for(client, other.username).status_code == 200


def test_the_lock_ends_when_the_failures_leave_the_window(app, client, make_user, db):
    user = make_user("caseworker")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        token_for(client, user.username, "wrong-password-1")
    assert token_for(client, user.username).status_code == 429
    past = utcnow() - dt.timedelta(seconds=app.config["LOGIN_FAILURE_WINDOW"] + 1)
    db.session.execute(sa.update(LoginAttempt).values(at=past))
    db.session.commit()
    assert token_for(client, user.username).status_code == 200


def test_a_successful_login_starts_the_failure_count_afresh(app, client, make_user):
    user = make_user("caseworker")
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit - 1):
        token_for(client, user.username, "wrong-password-1")
    assert token_for(client, user.username).status_code == 200
    for _ in range(limit - 1):
        assert token_for(client, user.username, "wrong-password-1").status_code == 401
    assert token_for(client, user.username).status_code == 200


def test_many_failures_from_one_address_lock_that_address(app, client, make_user):
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 6
    user = make_user("caseworker")
    for n in range(6):
        token_for(client, f"guess{n}", "wrong-password-1")
    r = token_for(client, user.username)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    other_address = client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD},
                                environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other_address.status_code == 200


def test_revoked_expired_garbage_or_missing_tokens_answer_401(client, make_user, db):
    user = make_user("caseworker")
    token = token_for(client, user.username).get_json()["token"]
    db.session.execute(sa.update(ApiToken).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    for headers in ({}, bearer("garbage"), bearer("x" * 5000), {"Authorization": "Basic dXNlcjpwYXNz"},
                    {"Authorization": "Bearer"}):
        r = client.get("/api/v1/residents", headers=headers)
        assert r.status_code == 401 and r.get_json()["error"]["code"] == "unauthorized", headers


def test_a_password_change_revokes_the_users_tokens(client, make_user, api):
    user = make_user("caseworker")
    token = token_for(client, user.username).get_json()["token"]
    r = api("admin").patch(f"/api/v1/users/{user.id}", json={"version": user.version,
                                                             "password": "another-long-secret-7"})
    assert r.status_code == 200, r.get_json()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert token_for(client, user.username, "another-long-secret-7").status_code == 200


def test_a_session_cookie_does_not_authorise_the_api(client, login, resident_data):
    login("caseworker")
    assert client.get("/").status_code == 200  # the HTML session works
    for resp in (client.get("/api/v1/me"), client.get("/api/v1/residents"),
                 client.post("/api/v1/residents", json=resident_data()),
                 client.delete("/api/v1/auth/token")):
        assert resp.status_code == 401, resp.get_data(as_text=True)[:200]
        assert resp.is_json and resp.get_json()["error"]["code"] == "unauthorized"


def test_a_bearer_token_does_not_open_the_html_pages(client, make_user):
    user = make_user("caseworker")
    token = token_for(client, user.username).get_json()["token"]
    r = client.get("/residents/", headers=bearer(token))
    assert r.status_code == 302 and "/login" in r.headers["Location"]


# --- users over the API ---------------------------------------------------------------------------

def test_admin_creates_users_of_every_role(api, db):
    admin = api("admin")
    r = admin.post("/api/v1/users", json={"username": "li.hua", "password": "a-long-password-1", "role": "caseworker",
                                          "area_codes": [HUAYUAN, LASENGZHONG], "display_name": "李华"})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["username"] == "li.hua" and body["role"] == "caseworker"
    assert body["area_codes"] == sorted([HUAYUAN, LASENGZHONG]) and "password" not in body
    assert "password_hash" not in r.get_data(as_text=True)
    stored = db.session.get(User, body["id"]).password_hash
    assert "a-long-password-1" not in stored and stored.startswith(("pbkdf2:", "scrypt:"))
    assert admin.get(f"/api/v1/users/{body['id']}").get_json()["display_name"] == "李华"
    for role in ("admin", "auditor"):
        assert admin.post("/api/v1/users", json={"username": f"{role}.x", "password": "a-long-password-1",
                                                 "role": role}).status_code == 201
    assert admin.client.post("/api/v1/auth/token", json={"username": "li.hua",
                                                         "password": "a-long-password-1"}).status_code == 200


@pytest.mark.parametrize("body,field", [
    ({"password": "short1"}, "password"),
    ({"password": "aaaaaaaaaaaa"}, "password"),
    ({"password": "li.hua-secret-99"}, "password"),  # contains the username
    ({"password": 1234567890123}, "password"),
    ({"password": None}, "password"),
    ({"username": "x"}, "username"),
    ({"username": "李华"}, "username"),
    ({"username": "a b c"}, "username"),
    ({"role": "superuser"}, "role"),
    ({"role": None}, "role"),
    ({"area_codes": []}, "area_codes"),
    ({"area_codes": ["999"]}, "area_codes"),
    ({"area_codes": "150303002001x"}, "area_codes"),
    ({"area_codes": [1, 2]}, "area_codes"),
    ({"role": "provider", "provider_id": None}, "provider_id"),
    ({"role": "provider", "provider_id": 999999}, "provider_id"),
    ({"role": "provider", "provider_id": 10**30}, "provider_id"),
    ({"role": "unit", "unit_id": "abc"}, "unit_id"),
    ({"locale": "fr"}, "locale"),
])
def test_invalid_users_answer_422_naming_the_field(api, body, field):
    data = {"username": "li.hua", "password": "a-long-password-1", "role": "caseworker", "area_codes": [HUAYUAN]}
    data.update(body)
    r = api("admin").post("/api/v1/users", json=data, headers={"Accept-Language": "en"})
    assert r.status_code == 422, (body, r.get_json())
    assert field in r.get_json()["error"]["fields"]


def test_a_taken_username_is_409(api):
    admin = api("admin")
    data = {"username": "li.hua", "password": "a-long-password-1", "role": "auditor"}
    assert admin.post("/api/v1/users", json=data).status_code == 201
    r = admin.post("/api/v1/users", json=data | {"username": "LI.HUA"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "duplicate"


def test_only_admins_manage_users(api, make_user):
    target = make_user("caseworker")
    for role in ("caseworker", "auditor", "provider", "unit"):
        c = api(role)
        assert c.get("/api/v1/users").status_code == 403
        assert c.post("/api/v1/users", json={"username": "x.y.z", "password": "a-long-password-1",
                                             "role": "admin"}).status_code == 403
        assert c.patch(f"/api/v1/users/{target.id}", json={"version": 1, "role": "admin"}).status_code == 403


def test_user_updates_need_the_current_version_and_cannot_null_required_fields(api, make_user):
    target = make_user("caseworker")
    first = target.version
    admin = api("admin")
    r = admin.patch(f"/api/v1/users/{target.id}", json={"version": first, "area_codes": [LASENGZHONG]})
    assert r.status_code == 200 and r.get_json()["area_codes"] == [LASENGZHONG]
    assert r.get_json()["version"] == first + 1  # an area change alone moves the version on
    stale = admin.patch(f"/api/v1/users/{target.id}", json={"version": first, "display_name": "x"})
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "stale_version"
    version = r.get_json()["version"]
    for body, field in (({"role": None}, "role"), ({"active": None}, "active"), ({"password": ""}, "password"),
                        ({"area_codes": []}, "area_codes")):
        resp = admin.patch(f"/api/v1/users/{target.id}", json={"version": version} | body)
        assert resp.status_code == 422 and field in resp.get_json()["error"]["fields"], (body, resp.get_json())
    assert admin.get("/api/v1/users/999999").status_code == 404
    assert admin.patch("/api/v1/users/99999999999", json={"version": 1}).status_code == 404


def test_users_list_pages_and_filters_by_role(api, make_user):
    admin = api("admin")
    for _ in range(3):
        make_user("auditor")
    body = admin.get("/api/v1/users?role=auditor&limit=2").get_json()
    assert len(body["items"]) == 2 and body["next_cursor"]
    rest = admin.get(f"/api/v1/users?role=auditor&limit=2&cursor={body['next_cursor']}").get_json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None


# --- CLI ------------------------------------------------------------------------------------------

def test_cli_user_create_reads_the_password_from_the_environment(app, client, db):
    result = app.test_cli_runner().invoke(args=["user", "create", "wang.fang", "--role", "caseworker",
                                                "--area", HUAYUAN, "--area", "150303002002"],
                                          env={"ASSIST_PASSWORD": "cli-long-password-5"})
    assert result.exit_code == 0, result.output
    assert "wang.fang" in result.output
    user = db.session.scalars(sa.select(User).where(User.username == "wang.fang")).one()
    assert user.role == "caseworker" and [a.code for a in user.areas] == [HUAYUAN, "150303002002"]
    assert token_for(client, "wang.fang", "cli-long-password-5").status_code == 200


def test_cli_user_create_prompts_when_no_password_is_set(app, monkeypatch, db):
    monkeypatch.delenv("ASSIST_PASSWORD", raising=False)
    result = app.test_cli_runner().invoke(args=["user", "create", "root.admin", "--role", "admin"],
                                          input="prompted-password-9\nprompted-password-9\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalars(sa.select(User).where(User.username == "root.admin")).one().role == "admin"


# Operator messages are in the default language, Simplified Chinese.
@pytest.mark.parametrize("args,password,message", [
    (["weak.one", "--role", "admin"], "short", "密码：至少需要 10 个字符"),
    (["no.area", "--role", "caseworker"], "cli-long-password-5", "负责区域"),
    (["bad.area", "--role", "caseworker", "--area", "999"], "cli-long-password-5", "999"),
    (["no.provider", "--role", "provider"], "cli-long-password-5", "服务机构"),
])
def test_cli_user_create_refuses_bad_input(app, db, args, password, message):
    result = app.test_cli_runner().invoke(args=["user", "create", *args], env={"ASSIST_PASSWORD": password})
    assert result.exit_code != 0
    assert message.lower() in result.output.lower()
    assert "Traceback" not in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_cli_user_create_refuses_an_unknown_role_and_a_taken_name(app, make_user):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["user", "create", "x.y.z", "--role", "king"], env={"ASSIST_PASSWORD": "cli-long-password-5"})
    assert result.exit_code == 2
    user = make_user("auditor")
    result = runner.invoke(args=["user", "create", user.username, "--role", "auditor"],
                           env={"ASSIST_PASSWORD": "cli-long-password-5"})
    assert result.exit_code == 1 and user.username in result.output


# --- the role × route matrix ----------------------------------------------------------------------

def test_every_route_declares_its_roles(app):
    rows = route_matrix(app)
    assert rows, "no routes"
    denied = [row for row in rows if row[2] == "DENIED"]
    assert denied == [], denied
    api_rows = [row for row in rows if row[0].startswith("/api/v1/")]
    public_api = {row[0] for row in api_rows if row[2] == "public"}
    assert {"/api/v1/auth/token", "/api/v1/openapi.json"} <= public_api
    for rule, methods, who in api_rows:
        if rule.startswith(("/api/v1/residents", "/api/v1/users", "/api/v1/audit", "/api/v1/me")):
            assert who != "public", (rule, methods)
    by_rule = {(rule, methods): who for rule, methods, who in rows}
    assert by_rule[("/api/v1/residents", "POST")] == "admin,caseworker"
    assert by_rule[("/api/v1/audit", "GET")] == "admin,auditor"
    assert by_rule[("/api/v1/users", "POST")] == "admin"


def test_an_endpoint_without_declared_roles_is_denied_to_everyone(make_user):
    app = make_app()

    @app.get("/api/v1/zz-undeclared")
    def undeclared():
        return {"secret": True}

    @app.get("/zz-undeclared-page")
    def undeclared_page():
        return "secret"

    assert ("/api/v1/zz-undeclared", "GET", "DENIED") in route_matrix(app)
    client = app.test_client()
    with app.app_context():
        admin = make_user("admin")
        token = token_for(client, admin.username).get_json()["token"]
    r = client.get("/api/v1/zz-undeclared", headers=bearer(token))
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    assert client.get("/api/v1/zz-undeclared").status_code == 403
    assert client.get("/zz-undeclared-page").status_code == 403
    assert b"secret" not in client.get("/zz-undeclared-page").data


def test_public_marks_only_what_it_decorates():
    @public
    def view():
        return "x"
    assert view._assist_public is True
    assert "static" in PUBLIC_ENDPOINTS


def test_unknown_api_paths_and_methods(api):
    c = api("caseworker")
    r = c.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    anonymous = c.client.get("/api/v1/no-such-thing")
    assert anonymous.status_code == 404 and anonymous.is_json
    r = c.client.put("/api/v1/residents", headers=bearer(c.token), json={})
    assert r.status_code == 405 and r.get_json()["error"]["code"] == "method_not_allowed"
    assert set(r.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert c.client.delete("/api/v1/catalog").status_code == 405
