"""Registering a resident in a real browser: a validation error keeps what was typed; then
finding the resident again by pinyin initials."""
import datetime as dt
import re

from playwright.sync_api import expect

from tests.conftest import HUAYUAN, id_number


def test_register_with_a_validation_error_then_fix_and_save(live_server, browser_login, make_user):
    page = browser_login(make_user("caseworker"))
    page.goto(live_server + "/residents/")
    page.click("[data-testid=new-resident]")
    expect(page.locator("h1")).to_have_text("登记救助对象")
    good = id_number(birth=dt.date(1942, 8, 15))
    page.fill("#id_number", good[:-1])  # one character short
    page.fill("#name", "王守义")
    page.fill("#phone", "139 0473 1234")
    page.select_option("#area_code", HUAYUAN)
    page.fill("#address", "华苑小区3号楼2单元101")
    page.select_option("#assistance_type", "tekun")
    page.select_option("#self_care_level", "3")
    page.check("#lives_alone")
    page.fill("#household-0-relation", "子")
    page.fill("#household-0-name", "王强")
    page.click("[data-testid=save]")

    error = page.locator("[data-field=id_number]")
    expect(error).to_contain_text("身份证号")
    expect(error).to_contain_text("18")
    expect(page.locator("#id_number")).to_have_class(re.compile("is-invalid"))
    # Everything typed is still there.
    expect(page.locator("#id_number")).to_have_value(good[:-1])
    expect(page.locator("#name")).to_have_value("王守义")
    expect(page.locator("#phone")).to_have_value("139 0473 1234")
    expect(page.locator("#area_code")).to_have_value(HUAYUAN)
    expect(page.locator("#address")).to_have_value("华苑小区3号楼2单元101")
    expect(page.locator("#assistance_type")).to_have_value("tekun")
    expect(page.locator("#self_care_level")).to_have_value("3")
    expect(page.locator("#lives_alone")).to_be_checked()
    expect(page.locator("input[name$='-relation']").first).to_have_value("子")
    expect(page.locator("input[name$='-name']").first).to_have_value("王强")

    page.fill("#id_number", good)
    page.click("[data-testid=save]")
    page.wait_for_url(re.compile(r"/residents/\d+$"))
    expect(page.locator("[data-testid=resident-name]")).to_contain_text("王守义")
    expect(page.locator("[data-testid=id-masked]")).to_have_text(good[:6] + "********" + good[-4:])
    expect(page.locator("body")).not_to_contain_text(good)
    expect(page.locator("[data-testid=conditions]")).to_contain_text("独居")
    expect(page.locator("body")).to_contain_text("王强")


def test_find_a_resident_by_pinyin_initials(live_server, browser_login, make_user, make_resident):
    make_resident(name="王守义", area_code=HUAYUAN)
    make_resident(name="李淑芬", area_code=HUAYUAN)
    make_resident(name="王小明", area_code=HUAYUAN)
    page = browser_login(make_user("caseworker"))
    page.goto(live_server + "/residents/")
    table = page.locator("[data-testid=residents-table]")
    expect(table.locator("tbody tr")).to_have_count(3)
    page.fill("[data-testid=search]", "wsy")
    page.click("[data-testid=search-submit]")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("王守义")
    expect(page.locator("[data-testid=search]")).to_have_value("wsy")
    page.click("text=王守义")
    expect(page.locator("[data-testid=resident-name]")).to_contain_text("王守义")
