def test_health(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_register_and_get(api, resident_data):
    c = api("caseworker")
    r = c.post("/api/v1/residents", json=resident_data())
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["id_number_masked"].startswith("150303") and "*" in body["id_number_masked"]
    assert c.get(f"/api/v1/residents/{body['id']}").status_code == 200
