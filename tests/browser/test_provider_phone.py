"""A provider's worker on a phone (375 × 740): opens today's visit, checks in with the browser's
location, completes it with a photo and a signature drawn on the screen."""
from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from PIL import Image
from playwright.sync_api import expect

from assist.core.timeutil import LOCAL_TZ

PHONE = {"width": 375, "height": 740}
SHOTS = os.environ.get("ASSIST_SCREENSHOT_DIR")  # set it to keep screenshots to look at


# Dark pixels on the signature canvas: the drawing is there.
INKED = """canvas => {
  const d = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let dark = 0;
  for (let i = 0; i < d.length; i += 4) { if (d[i] < 100) { dark++; } }
  return dark > 200;
}"""


def png() -> bytes:
    img = Image.new("RGB", (640, 480), (240, 200, 120))
    for x in range(100, 540):
        for y in range(200, 260):
            img.putpixel((x, y), (30, 90, 160))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def no_sideways_scrolling(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide at {PHONE['width']}px"


def shot(page, name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


@pytest.fixture
def todays_visit(visit_setup):
    cw, plan = visit_setup["cw"], visit_setup["plan"]
    r = cw.patch(f"/api/v1/plans/{plan['id']}", json={"version": plan["version"], "rrule": "FREQ=DAILY"})
    assert r.status_code == 200, r.get_json()
    today = dt.date.today()
    r = cw.post("/api/v1/schedule/generate", json={"until": (today + dt.timedelta(days=7)).isoformat()})
    assert r.status_code == 200
    items = cw.get(f"/api/v1/visits?plan_id={plan['id']}").get_json()["items"]
    visit = next(v for v in items
                 if dt.datetime.fromisoformat(v["scheduled_start"]).astimezone(LOCAL_TZ).date() == today)
    assert cw.post(f"/api/v1/visits/{visit['id']}/assign", json={"staff_id": visit_setup["w1_user"].id}).status_code == 200
    return visit


def test_a_worker_checks_in_and_completes_a_visit_on_a_phone(page, context, live_server, browser_login, visit_setup,
                                                              todays_visit):
    context.grant_permissions(["geolocation"])
    context.set_geolocation({"latitude": 39.4271, "longitude": 106.8123})
    page.set_viewport_size(PHONE)
    browser_login(visit_setup["w1_user"])

    page.goto(live_server + "/my/visits")
    card = page.locator(f'[data-testid="visit-card"][data-visit-id="{todays_visit["id"]}"]')
    expect(card).to_be_visible()
    expect(card.get_by_test_id("call")).to_have_attribute("href", "tel:13904730000")
    no_sideways_scrolling(page)
    shot(page, "1-my-visits.png")

    card.get_by_test_id("open-visit").click()
    page.wait_for_url(f"**/visits/{todays_visit['id']}")
    no_sideways_scrolling(page)
    shot(page, "2-visit.png")
    page.get_by_test_id("check-in").click()
    expect(page.get_by_test_id("complete-form")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "checked_in")
    expect(page.get_by_test_id("located")).to_be_visible()  # the browser's location went with the check-in

    expect(page.locator("#complete-quantity")).to_have_value("1")  # the plan's quantity per visit
    page.fill("#complete-notes", "送餐一份，老人精神很好")
    page.set_input_files("#complete-photos", files=[{"name": "meal.png", "mimeType": "image/png", "buffer": png()}])
    expect(page.locator("[data-photo-previews] img")).to_have_count(1)

    pad = page.get_by_test_id("signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for i in range(1, 25):  # a signature-like zigzag
        page.mouse.move(box["x"] + 30 + i * 11, box["y"] + box["height"] * (0.7 - 0.4 * (i % 2)), steps=3)
    page.mouse.up()
    page.wait_for_function(INKED, arg=pad.element_handle())
    signature = page.locator("#complete-signature").input_value()
    assert signature.startswith("data:image/png;base64,") and len(signature) > 1000
    no_sideways_scrolling(page)
    shot(page, "3-complete-form.png")

    # First without a quantity: refused, and everything comes back — the signature redrawn on the pad.
    page.fill("#complete-quantity", "")
    page.get_by_test_id("complete").click()
    expect(page.locator("#complete-quantity.is-invalid")).to_be_visible()
    expect(page.get_by_test_id("photos-lost")).to_be_visible()
    expect(page.locator("#complete-notes")).to_have_value("送餐一份，老人精神很好")
    assert page.locator("#complete-signature").input_value() == signature
    page.wait_for_function(INKED, arg=page.get_by_test_id("signature-pad").element_handle())
    no_sideways_scrolling(page)
    shot(page, "3b-kept-after-error.png")
    page.fill("#complete-quantity", "1")
    page.set_input_files("#complete-photos", files=[{"name": "meal.png", "mimeType": "image/png", "buffer": png()}])
    page.get_by_test_id("complete").click()
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "completed")
    expect(page.get_by_test_id("photo")).to_have_count(1)
    expect(page.get_by_test_id("signature")).to_be_visible()
    assert page.get_by_test_id("photo").evaluate("img => img.naturalWidth") > 0  # the file is served back
    assert page.get_by_test_id("signature").evaluate("img => img.naturalWidth") > 0
    no_sideways_scrolling(page)
    shot(page, "4-completed.png")

    done = visit_setup["cw"].get(f"/api/v1/visits/{todays_visit['id']}").get_json()
    assert done["status"] == "completed" and done["photos"] == 1 and done["signature"] is True
    assert done["lat"] == pytest.approx(39.4271) and done["lng"] == pytest.approx(106.8123)
    assert done["notes"] == "送餐一份，老人精神很好"
    assert [e["kind"] for e in done["events"]].count("complete") == 1


def test_check_in_goes_ahead_when_the_location_is_refused(page, context, live_server, browser_login, visit_setup,
                                                          todays_visit):
    context.clear_permissions()  # no permission: the location request fails at once, the check-in does not
    page.set_viewport_size(PHONE)
    browser_login(visit_setup["w1_user"])
    page.goto(live_server + f"/visits/{todays_visit['id']}")
    page.get_by_test_id("check-in").click()
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "checked_in", timeout=15000)
    done = visit_setup["cw"].get(f"/api/v1/visits/{todays_visit['id']}").get_json()
    assert done["status"] == "checked_in" and done["lat"] is None
