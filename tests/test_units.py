"""Partner units (包联单位): API.md "Needs diary" units, their scope, and the pages."""
import pytest

from tests.conftest import HUAYUAN, LASENGZHONG, XINQIAO


def unit_body(**kw):
    body = {"name": "海南区住房和城乡建设局", "kind": "department", "contact": "赵建国", "phone": "0473-3961234"}
    body.update(kw)
    return body


def test_caseworker_registers_a_unit_and_reads_it_back(api):
    cw = api("caseworker")
    r = cw.post("/api/v1/units", json=unit_body(area_codes=[HUAYUAN, XINQIAO], address="海南区新华路1号"))
    assert r.status_code == 201, r.get_json()
    unit = r.get_json()
    assert unit["kind"] == "department" and unit["area_codes"] == [HUAYUAN, XINQIAO] and unit["active"] is True
    got = cw.get(f"/api/v1/units/{unit['id']}").get_json()
    assert got["name"] == "海南区住房和城乡建设局" and got["phone"] == "0473-3961234"
    listed = cw.get("/api/v1/units").get_json()
    assert [u["id"] for u in listed["items"]] == [unit["id"]] and listed["next_cursor"] is None
    audit = api("auditor").get(f"/api/v1/audit?object_type=unit&object_id={unit['id']}").get_json()["items"]
    assert [e["action"] for e in audit] == ["create"]


@pytest.mark.parametrize("field,value", [
    ("name", ""),
    ("name", "x" * 101),
    ("kind", "bank"),
    ("phone", "12345"),
    ("area_codes", ["999999"]),
    ("area_codes", "not a list of codes but a sentence that is far too long" * 0 + "1,2"),
    ("active", "maybe"),
])
def test_invalid_unit_fields_answer_422_naming_the_field(api, field, value):
    r = api("admin").post("/api/v1/units", json=unit_body(**{field: value}))
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["error"]["fields"]


def test_a_unit_name_is_registered_once(api):
    admin = api("admin")
    first = admin.post("/api/v1/units", json=unit_body()).get_json()
    r = admin.post("/api/v1/units", json=unit_body(kind="other"))
    assert r.status_code == 409
    assert r.get_json()["error"]["existing_id"] == first["id"]


def test_who_may_register_and_read_units(api, make_user):
    admin = api("admin")
    mine = admin.post("/api/v1/units", json=unit_body(name="乌海市海南区蓝天志愿服务队", kind="volunteer")).get_json()
    other = admin.post("/api/v1/units", json=unit_body(name="内蒙古某能源有限公司", kind="company")).get_json()
    assert api("provider").post("/api/v1/units", json=unit_body(name="x")).status_code == 403
    assert api("provider").get("/api/v1/units").status_code == 403
    assert api("auditor").post("/api/v1/units", json=unit_body(name="y")).status_code == 403
    assert len(api("auditor").get("/api/v1/units").get_json()["items"]) == 2

    from assist.extensions import db
    from assist.units.models import PartnerUnit
    staff = api(make_user("unit", unit=db.session.get(PartnerUnit, mine["id"])))
    assert staff.post("/api/v1/units", json=unit_body(name="z")).status_code == 403
    assert [u["id"] for u in staff.get("/api/v1/units").get_json()["items"]] == [mine["id"]]
    assert staff.get(f"/api/v1/units/{mine['id']}").status_code == 200
    assert staff.get(f"/api/v1/units/{other['id']}").status_code == 404


def test_update_with_version_stale_version_and_deactivation(api):
    cw = api("caseworker")
    unit = cw.post("/api/v1/units", json=unit_body()).get_json()
    r = cw.patch(f"/api/v1/units/{unit['id']}", json={"version": unit["version"], "area_codes": [LASENGZHONG],
                                                       "active": False})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["area_codes"] == [LASENGZHONG] and r.get_json()["active"] is False
    assert r.get_json()["version"] == unit["version"] + 1
    stale = cw.patch(f"/api/v1/units/{unit['id']}", json={"version": unit["version"], "contact": "钱"})
    assert stale.status_code == 409
    assert cw.patch(f"/api/v1/units/{unit['id']}", json={"contact": "钱"}).status_code == 422  # no version
    assert cw.get("/api/v1/units?active=1").get_json()["items"] == []
    assert cw.get("/api/v1/units?kind=bank").status_code == 422


def test_unit_pages(client, login, make_user):
    login("caseworker")
    r = client.post("/units/new", data={"name": "海南区卫生健康委员会", "kind": "department", "contact": "孙",
                                        "phone": "13904731234", "area_codes": [HUAYUAN], "active": "y"})
    assert r.status_code == 302, r.data[:2000]
    detail = client.get(r.headers["Location"])
    assert "海南区卫生健康委员会" in detail.get_data(as_text=True)
    page = client.get("/units/").get_data(as_text=True)
    assert "海南区卫生健康委员会" in page and "华苑社区" in page
    bad = client.post("/units/new", data={"name": "", "kind": "department", "phone": "123"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert 'data-field="name"' in text and 'data-field="phone"' in text
