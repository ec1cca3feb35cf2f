"""The navigation each role sees (computed here, not in templates): menus of related pages."""
from flask_babel import lazy_gettext as _l

STAFF = {"admin", "caseworker", "auditor"}
WRITERS = {"admin", "caseworker"}

# (menu title, [(endpoint, title, roles)]); a menu with one visible entry shows as a plain link.
MENUS = [
    (_l("Home"), [("main.index", _l("Home"), {"admin", "caseworker", "provider", "auditor", "unit"})]),
    (_l("Residents"), [
        ("residents.index", _l("Residents"), STAFF),
        ("residents.import_form", _l("Import"), WRITERS),
        ("plans.bulk", _l("Unmet needs"), STAFF),
        ("plans.index", _l("Plans"), STAFF),
    ]),
    (_l("My visits"), [("visits.mine", _l("My visits"), {"provider"})]),
    (_l("Visits"), [
        ("visits.index", _l("Visits"), STAFF),
        ("visits.calendar_page", _l("Calendar"), STAFF | {"provider"}),
        ("visits.attention", _l("Needs attention"), STAFF),
    ]),
    (_l("Needs diary"), [
        ("diary.problems", _l("Problem list"), STAFF),
        ("diary.index", _l("Diary entries"), STAFF),
        ("diary.tasks", _l("My tasks"), {"unit"}),
        ("servicepoints.index", _l("Service points"), STAFF | {"provider", "unit"}),
    ]),
    (_l("Services"), [
        ("providers.index", _l("Providers"), STAFF | {"provider"}),
        ("units.index", _l("Partner units"), STAFF),
        ("catalog.index", _l("Catalog"), STAFF | {"provider", "unit"}),
    ]),
    (_l("Reports"), [
        ("reporting.index", _l("Reports"), STAFF),
        ("reporting.anomalies", _l("Anomalies"), STAFF),
        ("audit.index", _l("Audit log"), {"admin", "auditor"}),
    ]),
    (_l("Admin"), [("auth.users", _l("Users"), {"admin"})]),
]


def navigation(user) -> list[tuple[object, list[tuple[str, object]]]]:
    """[(menu title, [(endpoint, title), ...]), ...] for this user; features not installed are skipped."""
    from flask import current_app
    if not getattr(user, "is_authenticated", False):
        return []
    out = []
    for title, entries in MENUS:
        visible = [(endpoint, label) for endpoint, label, who in entries
                   if user.role in who and endpoint in current_app.view_functions]
        if visible:
            out.append((title, visible))
    return out
