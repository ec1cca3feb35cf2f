"""assist — case management for service-type social assistance (服务类社会救助)."""
from __future__ import annotations

import logging
import os

from flask import Flask

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True,
                template_folder=os.path.join(REPO_ROOT, "templates"))
    from assist import config as config_module
    config_module.load(app, config)
    logging.basicConfig(level=logging.INFO if not app.debug else logging.DEBUG)

    from assist.extensions import babel, bootstrap, csrf, db, login_manager, migrate
    from assist.core import i18n
    db.init_app(app)
    from assist.core.db import render_item
    migrate.init_app(app, db, directory=os.path.join(REPO_ROOT, "migrations"), compare_type=True,
                     render_as_batch=True, render_item=render_item)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone,
                   default_translation_directories=os.path.join(os.path.dirname(__file__), "translations"))
    bootstrap.init_app(app)

    from assist import models  # noqa: F401  (every model registered before mappers configure)
    from assist.core import web
    web.init_app(app)

    from assist.areas.api import bp as areas_api
    from assist.audit.api import bp as audit_api
    from assist.audit.views import bp as audit_views
    from assist.auth.api import bp as auth_api
    from assist.auth.views import bp as auth_views
    from assist.catalog.api import bp as catalog_api
    from assist.main.views import bp as main_views
    from assist.residents.api import bp as residents_api
    from assist.residents.views import bp as residents_views
    from assist.core.openapi import bp as openapi_bp
    from assist.plans.api import bp as plans_api
    from assist.providers.api import bp as providers_api
    from assist.visits.api import bp as visits_api
    from assist.reporting.api import bp as reporting_api
    from assist.reporting.views import bp as reporting_views
    from assist.catalog.views import bp as catalog_views
    from assist.plans.views import bp as plans_views
    from assist.providers.views import bp as providers_views
    from assist.visits.views import bp as visits_views
    from assist.diary.api import bp as diary_api
    from assist.diary.views import bp as diary_views
    from assist.servicepoints.api import bp as servicepoints_api
    from assist.servicepoints.views import bp as servicepoints_views
    from assist.units.api import bp as units_api
    from assist.units.views import bp as units_views
    for bp in (diary_views, units_views, servicepoints_views):
        app.register_blueprint(bp)
    for bp in (diary_api, units_api, servicepoints_api):
        csrf.exempt(bp)  # bearer tokens only, as below
        app.register_blueprint(bp)
    for bp in (main_views, auth_views, residents_views, audit_views, catalog_views, providers_views, plans_views,
               reporting_views, visits_views):
        app.register_blueprint(bp)
    for bp in (auth_api, areas_api, catalog_api, residents_api, audit_api, providers_api, plans_api, visits_api,
               reporting_api, openapi_bp):
        csrf.exempt(bp)  # bearer tokens, never cookies: nothing for CSRF to ride on
        app.register_blueprint(bp)

    from assist.plans import hooks as plan_hooks
    from assist.visits import hooks as visit_hooks
    plan_hooks.register()  # re-assessment flags plans for review
    visit_hooks.register()  # plan changes move future visits

    from assist import cli
    cli.register(app)
    from assist.diary import cli as diary_cli
    diary_cli.register(app)
    return app
