"""Real Chromium (Debian's) through Playwright, against the app served on 127.0.0.1 in a thread.

Without Chromium these tests skip, unless ASSIST_REQUIRE_BROWSER is set (CI), where that is a failure.
"""
from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("ASSIST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.browser)
    if not os.path.exists(CHROMIUM):
        if os.environ.get("ASSIST_REQUIRE_BROWSER"):
            raise pytest.UsageError(f"Chromium not found at {CHROMIUM} but ASSIST_REQUIRE_BROWSER is set")
        skip = pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium)")
        for item in items:
            if str(item.fspath).startswith(here):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@pytest.fixture
def live_app(app):
    """The app with CSRF on, as users get it."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.fixture
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def browser_login(page, live_server):
    """Log ``user`` in through the real login page; returns the page."""
    from tests.conftest import PASSWORD

    def do(user, password=PASSWORD):
        page.goto(live_server + "/login")
        page.fill("#username", user.username)
        page.fill("#password", password)
        page.click("#submit")
        page.wait_for_url(lambda url: "/login" not in url)
        return page
    return do
