"""Providers: API.md "Providers and users" and the admin pages."""
import pytest

from tests.conftest import HUAYUAN, LASENGZHONG, XINQIAO

VALID_USCC = "91110108551385082Q"  # check character computed with stdnum.cn.uscc


def provider_body(**kw):
    body = {"name": "海南区颐康居家养老服务中心", "uscc": VALID_USCC, "kind": "social_org",
            "item_codes": ["A1", "B1", "E1"], "area_codes": [LASENGZHONG], "weekly_capacity": 120,
            "contact": "李梅", "phone": "0473-3961234"}
    body.update(kw)
    return body


def test_admin_creates_provider_with_items_areas_and_contract_prices(api):
    admin = api("admin")
    r = admin.post("/api/v1/providers", json=provider_body(unit_prices={"A1": "18.50"},
                                                           contract_start="2026-01-01", contract_end="2026-12-31"))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["item_codes"] == ["A1", "B1", "E1"]
    assert body["area_codes"] == [LASENGZHONG]
    assert body["unit_prices"] == {"A1": "18.50"}
    got = admin.get(f"/api/v1/providers/{body['id']}").get_json()
    assert got["uscc"] == VALID_USCC and got["weekly_capacity"] == 120


@pytest.mark.parametrize("field,value", [
    ("uscc", "91110108551385082A"),  # wrong check character
    ("uscc", "123"),
    ("item_codes", ["A1", "Z9"]),
    ("area_codes", ["999999"]),
    ("weekly_capacity", -1),
    ("name", ""),
    ("kind", "bank"),
    ("phone", "12345"),
    ("unit_prices", {"A1": "-3"}),
    ("unit_prices", {"C4": "10"}),  # not an offered item
])
def test_invalid_provider_fields_answer_422_naming_the_field(api, field, value):
    r = api("admin").post("/api/v1/providers", json=provider_body(**{field: value}))
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["error"]["fields"]


def test_contract_end_before_start_is_refused(api):
    r = api("admin").post("/api/v1/providers", json=provider_body(contract_start="2026-05-01", contract_end="2026-04-01"))
    assert r.status_code == 422 and "contract_end" in r.get_json()["error"]["fields"]


def test_duplicate_uscc_conflicts(api):
    admin = api("admin")
    first = admin.post("/api/v1/providers", json=provider_body()).get_json()
    r = admin.post("/api/v1/providers", json=provider_body(name="另一家"))
    assert r.status_code == 409 and r.get_json()["error"]["existing_id"] == first["id"]


def test_only_admin_creates_providers_and_provider_users_see_only_their_own(api, make_user):
    admin = api("admin")
    p1 = admin.post("/api/v1/providers", json=provider_body()).get_json()
    p2 = admin.post("/api/v1/providers", json=provider_body(name="阳光社工服务社", uscc=None)).get_json()
    assert api("caseworker").post("/api/v1/providers", json=provider_body(uscc=None)).status_code == 403
    from assist.extensions import db
    from assist.providers.models import Provider
    staff = api(make_user("provider", provider=db.session.get(Provider, p1["id"])))
    assert [p["id"] for p in staff.get("/api/v1/providers").get_json()["items"]] == [p1["id"]]
    assert staff.get(f"/api/v1/providers/{p2['id']}").status_code == 404


def test_update_with_version_and_stale_version(api):
    admin = api("admin")
    p = admin.post("/api/v1/providers", json=provider_body()).get_json()
    r = admin.patch(f"/api/v1/providers/{p['id']}", json={"version": p["version"], "area_codes": [HUAYUAN, XINQIAO]})
    assert r.status_code == 200 and r.get_json()["area_codes"] == [HUAYUAN, XINQIAO]
    assert admin.patch(f"/api/v1/providers/{p['id']}", json={"version": p["version"], "weekly_capacity": 3}).status_code == 409
    audit = admin.get(f"/api/v1/audit?object_type=provider&object_id={p['id']}").get_json()["items"]
    assert [e["action"] for e in audit] == ["update", "create"]


def test_list_filters_by_item_and_area(api):
    admin = api("admin")
    admin.post("/api/v1/providers", json=provider_body())
    admin.post("/api/v1/providers", json=provider_body(name="康复中心", uscc=None, item_codes=["C4"], area_codes=[HUAYUAN]))
    names = lambda q: [p["name"] for p in admin.get("/api/v1/providers" + q).get_json()["items"]]  # noqa: E731
    assert names("?item_code=C4") == ["康复中心"]
    assert names(f"?area_code={LASENGZHONG}") == ["海南区颐康居家养老服务中心"]


def test_provider_pages(client, login, api):
    login("admin")
    r = client.post("/providers/new", data={"name": "", "uscc": "bad", "kind": "social_org", "weekly_capacity": "5"})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'value="bad"' in page  # what was typed is kept
    r = client.post("/providers/new", data={"name": "爱心志愿者协会", "uscc": VALID_USCC, "kind": "volunteer",
                                            "item_codes": ["E1", "E2"], "area_codes": [LASENGZHONG],
                                            "unit_prices": "E1 22.5", "weekly_capacity": "40"})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    detail = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "爱心志愿者协会" in detail and "22.50" in detail
