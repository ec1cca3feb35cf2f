"""``flask --app assist diary sweep``: mark overdue items and escalate them (cron, any time, idempotent)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

diary_cli = AppGroup("diary", help="Needs diary (民情日志) maintenance.")

ATTEMPTS = 3


@diary_cli.command("sweep")
@click.option("--today", "today", default=None, metavar="YYYY-MM-DD",
              help="Sweep as of this local date (default: today in Asia/Shanghai).")
def sweep_command(today):
    """Mark items past their due date overdue; escalate to the street, and to the district after a week."""
    from assist.core.errors import StaleVersion
    from assist.core.validation import Invalid, parse_date
    from assist.diary import services
    from assist.extensions import db
    day = None
    if today:
        try:
            day = parse_date(today)
        except Invalid as exc:
            raise click.BadParameter(str(exc), param_hint="--today")
    for attempt in range(1, ATTEMPTS + 1):
        try:
            counts = services.sweep(day)
            db.session.commit()
            break
        except StaleVersion:
            # Someone changed an item between our read and our write (a unit resolving it, a second
            # sweep): start again from the current state, which the next pass sees.
            db.session.rollback()
            if attempt == ATTEMPTS:
                raise click.ClickException("items kept changing during the sweep; run it again")
    click.echo(f"overdue: {counts['overdue']} newly overdue; escalated to the street: {counts['street']}, "
               f"to the district: {counts['district']}")


def register(app) -> None:
    app.cli.add_command(diary_cli)
