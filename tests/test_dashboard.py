def test_dashboard_figures_are_scoped_and_charts_render(client, login, make_resident):
    from tests.conftest import XIZHUOZISHAN_C
    make_resident(conditions={"self_care_level": 2})
    make_resident(area_code=XIZHUOZISHAN_C, conditions={"self_care_level": 2})
    login("caseworker")
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="fig-residents_active">1<' in page
    assert page.count("<svg") == 4 and "cdn" not in page.lower()
    client.post("/logout")
    login("auditor")
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="fig-residents_active">2<' in page


def test_provider_home_has_no_programme_figures(client, login):
    login("provider")
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="headline"' not in page
