"""Switching the language: per user, kept across logout and login."""
from playwright.sync_api import expect

from tests.conftest import PASSWORD


def log_in(page, user):
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_url(lambda url: "/login" not in url)


def test_switch_to_english_and_back_and_the_choice_sticks(live_server, browser_login, make_user):
    user = make_user("caseworker")
    page = browser_login(user)
    navbar = page.locator("nav")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(navbar).to_contain_text("救助对象")

    page.click("[data-testid=switch-language]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(navbar).to_contain_text("Residents")
    expect(navbar).to_contain_text("Log out")

    # Log out and in again: still English, for this user.
    page.click("nav >> text=Log out")
    page.wait_for_url("**/login")
    expect(page.locator("h1")).to_have_text("Log in")
    log_in(page, user)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(live_server + "/residents/")
    expect(page.locator("h1")).to_contain_text("Residents")

    # Back to Chinese, and that sticks too, even in a fresh browser session.
    page.click("[data-testid=switch-language]")
    expect(page.locator("h1")).to_contain_text("救助对象")
    page.context.clear_cookies()
    page.goto(live_server + "/login")
    expect(page.locator("h1")).to_have_text("登录")
    log_in(page, user)
    expect(navbar).to_contain_text("救助对象")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_the_choice_belongs_to_the_user(live_server, browser, make_user):
    english, chinese = make_user("caseworker"), make_user("caseworker")
    first = browser.new_context(locale="zh-CN")
    page = first.new_page()
    page.goto(live_server + "/login")
    log_in(page, english)
    page.click("[data-testid=switch-language]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    first.close()
    second = browser.new_context(locale="zh-CN")
    page = second.new_page()
    page.goto(live_server + "/login")
    log_in(page, chinese)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.context.clear_cookies()
    page.goto(live_server + "/login")
    log_in(page, english)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    second.close()
