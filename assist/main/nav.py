"""The navigation each role sees (computed here, not in templates)."""
from flask_babel import lazy_gettext as _l

NAV = [
    ("main.index", _l("Home"), {"admin", "caseworker", "provider", "auditor", "unit"}),
    ("residents.index", _l("Residents"), {"admin", "caseworker", "auditor"}),
    ("residents.import_form", _l("Import"), {"admin", "caseworker"}),
    ("plans.bulk", _l("Unmet needs"), {"admin", "caseworker", "auditor"}),
    ("plans.index", _l("Plans"), {"admin", "caseworker", "auditor"}),
    ("visits.mine", _l("My visits"), {"provider"}),
    ("visits.index", _l("Visits"), {"admin", "caseworker", "auditor"}),
    ("visits.calendar_page", _l("Calendar"), {"admin", "caseworker", "auditor"}),
    ("visits.attention", _l("Needs attention"), {"admin", "caseworker", "auditor"}),
    ("providers.index", _l("Providers"), {"admin", "caseworker", "auditor", "provider"}),
    ("catalog.index", _l("Catalog"), {"admin", "caseworker", "auditor", "provider", "unit"}),
    ("diary.problems", _l("Needs diary"), {"admin", "caseworker", "auditor"}),
    ("diary.tasks", _l("My tasks"), {"unit"}),
    ("servicepoints.index", _l("Service points"), {"admin", "caseworker", "auditor", "provider", "unit"}),
    ("reporting.index", _l("Reports"), {"admin", "caseworker", "auditor"}),
    ("reporting.anomalies", _l("Anomalies"), {"admin", "caseworker", "auditor"}),
    ("audit.index", _l("Audit log"), {"admin", "auditor"}),
    ("auth.users", _l("Users"), {"admin"}),
]


def navigation(user) -> list[tuple[str, object]]:
    from flask import current_app
    if not getattr(user, "is_authenticated", False):
        return []
    return [(endpoint, title) for endpoint, title, who in NAV
            if user.role in who and endpoint in current_app.view_functions]
