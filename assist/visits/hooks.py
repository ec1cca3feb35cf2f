"""Wiring: a changed or ended plan moves its future, unstarted visits along."""
from assist.plans import services as plan_services
from assist.visits import services


def register() -> None:
    if services.on_plan_changed not in plan_services.plan_changed_hooks:
        plan_services.plan_changed_hooks.append(services.on_plan_changed)
