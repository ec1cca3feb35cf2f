"""Operator commands (API.md "Operator commands")."""
from __future__ import annotations

import os

import click
from flask import current_app
from flask.cli import AppGroup

from assist.core.errors import AppError

user_cli = AppGroup("user", help="Manage user accounts.")


def _fail(exc: AppError) -> None:
    lines = [str(exc.message)] + [str(m) for ms in exc.fields.values() for m in ms]
    raise click.ClickException("\n".join(lines))


@user_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["admin", "caseworker", "provider", "auditor", "unit"]))
@click.option("--area", "areas", multiple=True, help="Area code (repeatable); caseworkers need one.")
@click.option("--provider", "provider_id", type=int, help="Provider id, for role provider.")
@click.option("--unit", "unit_id", type=int, help="Partner unit id, for role unit.")
@click.option("--name", "display_name", default="", help="Display name.")
def create_user(username, role, areas, provider_id, unit_id, display_name):
    """Create a user; the password comes from ASSIST_PASSWORD or a prompt."""
    from assist.auth import services
    from assist.core.db import commit
    password = os.environ.get("ASSIST_PASSWORD") or click.prompt("Password", hide_input=True,
                                                                 confirmation_prompt=True)
    try:
        user = services.create_user({"username": username, "password": password, "role": role,
                                     "area_codes": list(areas), "provider_id": provider_id, "unit_id": unit_id,
                                     "display_name": display_name}, actor=None)
        commit()
    except AppError as exc:
        _fail(exc)
    click.echo(f"created user {user.username} (id {user.id}, role {user.role})")


@click.command("demo")
@click.option("--residents", default=520, show_default=True, help="How many residents to create.")
@click.option("--seed", default=2026, show_default=True, help="Random seed (the same seed, the same district).")
@click.option("--password", envvar="ASSIST_DEMO_PASSWORD", default=None,
              help="Password for the demo users (default: ASSIST_DEMO_PASSWORD, else a random one, printed).")
def demo(residents, seed, password):
    """Fill an empty database with a believable demo district."""
    from assist.demo.generate import DemoError, load_demo
    try:
        summary = load_demo(residents=residents, seed=seed, password=password)
    except DemoError as exc:
        raise click.ClickException(str(exc))
    click.echo(summary)


visits_cli = AppGroup("visits", help="Visit schedule housekeeping.")


@visits_cli.command("sweep")
def visits_sweep():
    """Mark visits missed whose day ended without a check-in (safe to run any time, e.g. hourly)."""
    from assist.core.db import commit
    from assist.visits import services
    count = services.sweep()
    commit()
    click.echo(f"marked {count} visits missed")


@visits_cli.command("generate")
@click.option("--until", "until", default=None, help="Last date (YYYY-MM-DD); default: the rolling horizon.")
def visits_generate(until):
    """Create the visits of active plans up to a date (no duplicates on a rerun)."""
    import datetime as dt

    from assist.core.db import commit
    from assist.visits import services
    try:
        day = dt.date.fromisoformat(until) if until else services.horizon_end()
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--until")
    created = services.generate(day)
    commit()
    click.echo(f"created {created} visits up to {day.isoformat()}")


@click.command("unmet-needs")
@click.option("--area", "area_code", default=None, help="Limit to an area (and everything below it).")
@click.option("--item", "item_code", default=None, help="Limit to one service item, e.g. A1.")
@click.option("--out", "out", default=None, type=click.Path(dir_okay=False), help="Write the list to an xlsx file.")
def unmet_needs(area_code, item_code, out):
    """Evaluate every active resident and list eligible items with no plan and no decline."""
    from assist.plans import bulk
    from assist.plans.exports import unmet_xlsx

    class _Everyone:  # the command runs with the operator's full view, like an admin
        role, is_authenticated, id, username = "admin", True, None, "cli"
    result = bulk.run(_Everyone(), item_code=item_code.upper() if item_code else None, area_code=area_code)
    click.echo(f"{result.residents} active residents, {len(result.needs)} unmet needs")
    for line in result.items.values():
        click.echo(f"{line.item_code}  eligible {line.eligible:>6}  planned {line.planned:>6}  "
                   f"declined {line.declined:>5}  unmet {line.unmet:>6}  capacity/week {line.weekly_capacity:>5}")
    if out:
        with open(out, "wb") as fh:
            fh.write(unmet_xlsx(result))
        click.echo(f"wrote {out}")


@click.command("route-matrix")
def route_matrix():
    """Print the role × route matrix (deny by default)."""
    from assist.core.permissions import route_matrix as matrix
    for rule, methods, who in matrix(current_app):
        click.echo(f"{methods:<20} {rule:<55} {who}")


def register(app) -> None:
    app.cli.add_command(user_cli)
    app.cli.add_command(demo)
    app.cli.add_command(route_matrix)
    app.cli.add_command(visits_cli)
    app.cli.add_command(unmet_needs)
