"""Reference data, the API description, health, and bad input at the API's edge: malformed and
oversized bodies, the one error format, never a 500."""
from __future__ import annotations

import io
import re

import pytest

from assist.core.api import API_PREFIX
from tests.conftest import HUAYUAN

CATEGORY_NAMES = {"A": "生活服务", "B": "清洁服务", "C": "医疗健康", "D": "照护服务", "E": "关爱服务",
                  "F": "能力提升与社会融入"}


def assert_error(resp, status, code):
    assert resp.status_code == status, resp.get_data(as_text=True)[:300]
    assert resp.is_json, resp.content_type
    body = resp.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"] == code and isinstance(error["message"], str) and error["message"]
    if "fields" in error:
        assert all(isinstance(k, str) and isinstance(v, list) and all(isinstance(m, str) for m in v)
                   for k, v in error["fields"].items())
    return error


# --- reference data -------------------------------------------------------------------------------

def test_catalog_has_six_categories_of_four_items_with_their_codes(api):
    body = api("provider").get("/api/v1/catalog").get_json()
    categories = body["categories"]
    assert [c["code"] for c in categories] == list("ABCDEF")
    assert {c["code"]: c["name"] for c in categories} == CATEGORY_NAMES
    codes = [i["code"] for c in categories for i in c["items"]]
    assert codes == [f"{c}{n}" for c in "ABCDEF" for n in range(1, 5)]
    a1 = categories[0]["items"][0]
    assert a1["name"] == "助餐送餐" and a1["unit"] == "次" and a1["active"] is True
    d4 = categories[3]["items"][3]
    assert d4["code"] == "D4" and d4["unit"] == "日"


def test_areas_list_the_district_with_12_digit_street_and_community_codes(api):
    items = api("caseworker").get("/api/v1/areas").get_json()["items"]
    by_code = {a["code"]: a for a in items}
    assert by_code["150303"] == {"code": "150303", "name": "海南区", "level": "district", "parent_code": None}
    assert by_code["150303002000"] == {"code": "150303002000", "name": "拉僧仲街道", "level": "street",
                                       "parent_code": "150303"}
    assert by_code["150303002001"]["name"] == "华苑社区" and by_code["150303002001"]["level"] == "community"
    assert by_code["150303002001"]["parent_code"] == "150303002000"
    assert by_code["150303002002"]["name"] == "新桥社区"
    for area in items:
        assert area["level"] in ("district", "street", "community", "grid")
        if area["level"] in ("street", "community"):
            assert re.fullmatch(r"150303\d{6}", area["code"]), area
            assert area["parent_code"] in by_code
    assert sum(a["level"] == "street" for a in items) >= 5


def test_reference_data_needs_a_login(client):
    assert_error(client.get("/api/v1/catalog"), 401, "unauthorized")
    assert_error(client.get("/api/v1/areas"), 401, "unauthorized")


# --- description and health -----------------------------------------------------------------------

def test_openapi_lists_every_api_route_and_method(app, client):
    r = client.get("/api/v1/openapi.json")  # no token needed
    assert r.status_code == 200
    spec = r.get_json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    expected = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API_PREFIX):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                expected.add((path, method.lower()))
    listed = {(path, method) for path, ops in paths.items() for method in ops}
    assert expected == listed
    for must in (("/api/v1/residents", "post"), ("/api/v1/residents/{resident_id}", "patch"),
                 ("/api/v1/residents/{resident_id}/status", "post"), ("/api/v1/auth/token", "delete"),
                 ("/api/v1/audit/verify", "get"), ("/api/v1/users", "post")):
        assert must in listed, must
    op = paths["/api/v1/residents"]["post"]
    assert op["x-roles"] == ["admin", "caseworker"]
    assert paths["/api/v1/auth/token"]["post"]["security"] == []


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "ok"}


# --- bad input at the edge ------------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"{", b'{"name": }', b"{'name': 'x'}", b"\xff\xfe{}", b'{"a": NaN}',
                                  b'{"a": Infinity}', b"[" * 100000])
def test_malformed_json_is_400(api, data):
    c = api("caseworker")
    r = c.post("/api/v1/residents", data=data, content_type="application/json")
    assert_error(r, 400, "bad_request")


@pytest.mark.parametrize("data", [b"[]", b'"text"', b"42", b"null", b"true", b'[{"name": "x"}]'])
def test_json_that_is_not_an_object_is_400(api, data):
    r = api("caseworker").post("/api/v1/residents", data=data, content_type="application/json")
    error = assert_error(r, 400, "bad_request")
    assert "fields" not in error


def test_a_body_that_is_not_json_is_400(api):
    c = api("caseworker")
    assert_error(c.post("/api/v1/residents", data="name=x", content_type="text/plain"), 400, "bad_request")
    assert_error(c.post("/api/v1/residents", data={"name": "x"}), 400, "bad_request")


def test_oversized_json_is_413(api, app, resident_data):
    c = api("caseworker")
    body = b'{"name": "' + b"x" * (app.config["MAX_JSON_LENGTH"] + 10) + b'"}'
    assert_error(c.post("/api/v1/residents", data=body, content_type="application/json"), 413, "too_large")
    # Without a Content-Length (chunked): the same answer.
    r = c.client.post("/api/v1/residents", input_stream=io.BytesIO(body), content_type="application/json",
                      headers={"Authorization": f"Bearer {c.token}", "Transfer-Encoding": "chunked"},
                      environ_base={"wsgi.input_terminated": True})  # as a WSGI server sets it for chunked bodies
    assert_error(r, 413, "too_large")


def test_a_body_over_the_request_limit_is_413(api, app):
    app.config["MAX_CONTENT_LENGTH"] = 2000  # werkzeug's own limit, below the JSON one
    body = b'{"name": "' + b"x" * 5000 + b'"}'
    r = api("caseworker").post("/api/v1/residents", data=body, content_type="application/json")
    assert_error(r, 413, "too_large")


def test_a_100000_character_name_is_422_naming_the_field(api, resident_data):
    r = api("caseworker").post("/api/v1/residents", json=resident_data(name="王" * 100_000),
                               headers={"Accept-Language": "en"})
    error = assert_error(r, 422, "invalid")
    assert list(error["fields"]) == ["name"]
    assert error["fields"]["name"] == ["Name: must be at most 50 characters"]


def test_nul_characters_are_refused_before_they_reach_the_database(api, resident_data):
    c = api("caseworker")
    assert_error(c.post("/api/v1/residents", json=resident_data(area_code=HUAYUAN + "\x00")), 400, "bad_request")
    assert_error(c.get("/api/v1/residents", query_string={"q": "王\x00"}), 400, "bad_request")
    assert_error(c.client.post("/api/v1/auth/token", json={"username": "a\x00b", "password": "x"}), 400,
                 "bad_request")


def test_huge_ids_in_urls_are_404(api):
    c = api("admin")
    for url in ("/api/v1/residents/99999999999999999999", "/api/v1/residents/2147483648",
                "/api/v1/users/99999999999999999999"):
        assert_error(c.get(url), 404, "not_found")
    assert_error(c.patch("/api/v1/residents/99999999999999999999", json={"version": 1}), 404, "not_found")


def test_every_error_status_uses_the_one_format(api, resident_data, client):
    caseworker = api("caseworker")
    rid = caseworker.post("/api/v1/residents", json=resident_data()).get_json()["id"]
    assert_error(caseworker.post("/api/v1/residents", data=b"{", content_type="application/json"), 400, "bad_request")
    assert_error(client.get("/api/v1/residents"), 401, "unauthorized")
    assert_error(api("auditor").post("/api/v1/residents", json={}), 403, "forbidden")
    assert_error(caseworker.get("/api/v1/residents/424242"), 404, "not_found")
    assert_error(caseworker.client.put(f"/api/v1/residents/{rid}", headers={"Authorization": f"Bearer {caseworker.token}"}),
                 405, "method_not_allowed")
    assert_error(caseworker.patch(f"/api/v1/residents/{rid}", json={"version": 7}), 409, "stale_version")
    error = assert_error(caseworker.post("/api/v1/residents", json={}), 422, "invalid")
    assert error["fields"]


def test_error_messages_follow_the_language(api):
    c = api("caseworker")
    zh = c.get("/api/v1/residents/424242").get_json()["error"]["message"]
    en = c.get("/api/v1/residents/424242", headers={"Accept-Language": "en"}).get_json()["error"]["message"]
    also_en = c.get("/api/v1/residents/424242?lang=en").get_json()["error"]["message"]
    assert en == also_en == "Not found."
    assert zh != en and re.search(r"[\u4e00-\u9fff]", zh), zh
    fields = c.post("/api/v1/residents", json={}).get_json()["error"]["fields"]
    assert re.search(r"[\u4e00-\u9fff]", fields["name"][0]), fields


def test_dates_in_answers_are_iso(api, resident_data):
    body = api("caseworker").post("/api/v1/residents", json=resident_data()).get_json()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", body["birth_date"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", body["assistance_since"])


GARBAGE = [None, True, 0, -1, 1.5, 10**30, "", " ", "x" * 1000, "\u202e\u200b", [], [1, "a"], {}, {"a": {"b": []}}]


@pytest.mark.parametrize("value", GARBAGE, ids=repr)
def test_garbage_in_any_field_is_never_a_500(api, resident_data, value):
    c = api("admin")
    rid = c.post("/api/v1/residents", json=resident_data()).get_json()["id"]
    fields = ["id_number", "name", "phone", "address", "area_code", "assistance_type", "assistance_since",
              "assessed_on", "emergency_contact_name", "emergency_contact_phone", "household", "conditions"]
    for field in fields:
        r = c.post("/api/v1/residents", json=resident_data(**{field: value}))
        assert r.status_code in (201, 409, 422), (field, value, r.get_json())
        r = c.patch(f"/api/v1/residents/{rid}", json={"version": c.get(f"/api/v1/residents/{rid}").get_json()["version"],
                                                      field: value})
        assert r.status_code in (200, 409, 422), (field, value, r.get_json())
    for condition in ("self_care_level", "lives_alone", "child_status"):
        r = c.post("/api/v1/residents", json=resident_data(conditions={condition: value}))
        assert r.status_code in (201, 422), (condition, value, r.get_json())
    for field in ("status", "reason", "reason_kind", "effective_on", "version"):
        body = {"status": "suspended", "reason": "x", field: value}
        assert c.post(f"/api/v1/residents/{rid}/status", json=body).status_code in (200, 409, 422)
    for field in ("username", "password", "role", "area_codes", "provider_id", "unit_id", "display_name", "locale"):
        body = {"username": "new.user", "password": "a-long-password-1", "role": "auditor", field: value}
        assert c.post("/api/v1/users", json=body).status_code in (201, 409, 422), (field, value)
    for query in ("q", "area_code", "assistance_type", "status", "condition", "min_age", "limit", "cursor"):
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            assert c.get("/api/v1/residents", query_string={query: value}).status_code in (200, 422), (query, value)
    body = {"username": value, "password": value}
    assert c.client.post("/api/v1/auth/token", json=body).status_code in (401, 400)
