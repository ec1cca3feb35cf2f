"""Wiring: a resident's re-assessment or status change re-runs matching over their active plans."""
from assist.plans import services
from assist.residents import services as resident_services


def register() -> None:
    if services.review_plans not in resident_services.profile_changed_hooks:
        resident_services.profile_changed_hooks.append(services.review_plans)
