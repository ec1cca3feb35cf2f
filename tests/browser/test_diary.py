"""The needs-diary loop in a real browser at phone width: a caseworker records a visit with two needs
and dispatches one; the partner unit accepts and resolves it; the caseworker records the resident's
satisfaction, and the item is on the satisfaction list."""
import datetime as dt

from playwright.sync_api import expect

from assist.core.timeutil import local_today
from tests.conftest import HUAYUAN

PHONE = {"width": 375, "height": 812}


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def test_a_visit_goes_round_the_loop_to_the_satisfaction_list(page, live_server, browser_login, make_user,
                                                              make_resident, db):
    from assist.units.models import PartnerUnit
    caseworker = make_user("caseworker", areas=[HUAYUAN], display_name="李娜")
    resident = make_resident(name="王守义")
    unit = PartnerUnit(name="海南区住房和城乡建设局", kind="department")
    db.session.add(unit)
    db.session.commit()
    unit_user = make_user("unit", unit=unit, display_name="赵建国")
    page.set_viewport_size(PHONE)

    # The caseworker records the visit from a phone: two needs.
    browser_login(caseworker)
    page.goto(live_server + "/diary/new")
    no_sideways_scroll(page)
    expect(page.locator("#area_code")).to_have_value(HUAYUAN)  # the caseworker's only community
    page.select_option("#resident_id", str(resident.id))
    page.fill("#notes", "老人独居，腿脚不便。")
    page.fill("#needs-0-description", "做饭困难，需要助餐送餐")
    page.select_option("#needs-1-kind", "wish")
    page.fill("#needs-1-description", "想要一台收音机")
    page.click("[data-testid=save]")
    links = page.locator("[data-testid=problem-link]")
    expect(links).to_have_count(2)
    expect(links.first).to_contain_text("做饭困难，需要助餐送餐")
    no_sideways_scroll(page)

    # ... and dispatches the first one to the partner unit.
    links.first.click()
    problem_url = page.url
    expect(page.locator("[data-testid=status]")).to_have_attribute("data-status", "recorded")
    expect(page.locator("[data-testid=open-plan]")).to_be_visible()  # a service need can open a plan
    page.select_option("#unit_id", str(unit.id))
    due = (local_today() + dt.timedelta(days=5)).isoformat()
    page.fill("#due_date", due)
    page.click("[data-testid=dispatch]")
    expect(page.locator("[data-testid=status]")).to_have_attribute("data-status", "dispatched")
    expect(page.locator("[data-testid=unit]")).to_have_text("海南区住房和城乡建设局")
    no_sideways_scroll(page)

    # The unit's staff member sees it among their tasks, accepts and resolves it.
    page.context.clear_cookies()
    browser_login(unit_user)
    page.goto(live_server + "/diary/tasks")
    expect(page.locator("[data-testid=tasks-new] [data-testid=task]")).to_have_count(1)
    no_sideways_scroll(page)
    page.locator("[data-testid=tasks-new] [data-testid=task]").click()
    page.click("[data-testid=accept]")
    expect(page.locator("[data-testid=status]")).to_have_attribute("data-status", "accepted")
    page.fill("#result", "已联系社区助餐点，每天11:30送餐上门")
    page.click("[data-testid=resolve]")
    expect(page.locator("[data-testid=status]")).to_have_attribute("data-status", "resolved")
    expect(page.locator("[data-testid=result]")).to_have_text("已联系社区助餐点，每天11:30送餐上门")

    # The caseworker asks the resident and records the answer: satisfied.
    page.context.clear_cookies()
    browser_login(caseworker)
    page.goto(problem_url)
    page.check("#satisfied-0")
    page.fill("#comment", "饭菜很合口味")
    page.click("[data-testid=feedback]")
    expect(page.locator("[data-testid=status]")).to_have_attribute("data-status", "closed")
    expect(page.locator("[data-testid=answer]")).to_contain_text("饭菜很合口味")

    # On the satisfaction list (满意清单); the wish is still waiting on the problem list.
    page.goto(live_server + "/diary/problems/?status=closed")
    rows = page.locator("[data-testid=problem-row]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("做饭困难，需要助餐送餐")
    no_sideways_scroll(page)
    page.goto(live_server + "/diary/problems/?status=recorded,returned")
    expect(page.locator("[data-testid=problem-row]")).to_have_count(1)
    expect(page.locator("[data-testid=problem-row]").first).to_contain_text("想要一台收音机")
