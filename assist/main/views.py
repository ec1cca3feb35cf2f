from flask import Blueprint, render_template
from flask_login import current_user

from assist.core.permissions import ALL, roles
from assist.main import services

bp = Blueprint("main", __name__)


@bp.get("/")
@roles(*ALL)
def index():
    figures = services.home_figures(current_user)
    return render_template("main/index.html", figures=figures, charts=_charts(figures) if figures else {})


def _charts(f: dict) -> dict:
    from flask_babel import gettext as _

    from assist.catalog import services as catalog_services
    from assist.reporting import charts
    from assist.residents.conditions import ASSISTANCE_TITLES
    cats = {c.code: c.name for c in catalog_services.categories()}
    # Services per month by category, this year.
    from assist.reporting import stats
    months = sorted(f["year"]["by_month"])
    monthly = stats.monthly_by_category(current_user)
    series = {f"{c} {cats[c]}": [monthly.get((m, c), 0) for m in months] for c in cats}
    items = {i.code: i for i in catalog_services.items()}
    coverage = [(f"{line.item_code} {items[line.item_code].name}", 100.0 * line.planned / line.eligible)
                for line in f["unmet_result"].items.values() if line.eligible]
    return {
        "per_month": charts.stacked_columns([m[5:] for m in months], series, _("Services per month by category")),
        "groups": charts.bars([(str(ASSISTANCE_TITLES[k]), v) for k, v in sorted(f["by_group"].items())],
                              _("Active residents by target group")),
        "coverage": charts.bars(coverage, _("Plan coverage of eligible needs"), unit="%", max_value=100),
        "on_time": charts.bars([(name, rate) for name, rate, _n in f["on_time"]], _("On-time rate per provider"),
                               unit="%", max_value=100),
    }
