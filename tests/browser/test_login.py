from playwright.sync_api import expect


def test_login_with_wrong_then_right_password(page, live_server, make_user):
    user = make_user("caseworker")
    page.goto(live_server + "/residents/")
    # Not logged in: sent to the login page, in Chinese by default.
    expect(page.locator("h1")).to_have_text("登录")
    page.fill("#username", user.username)
    page.fill("#password", "wrong-password-123")
    page.click("#submit")
    expect(page.locator(".alert-danger")).to_contain_text("用户名或密码错误")
    page.fill("#password", "correct-horse-battery-9")
    page.click("#submit")
    # Back where the user wanted to go.
    page.wait_for_url("**/residents/")
    expect(page.locator("h1")).to_contain_text("救助对象")
