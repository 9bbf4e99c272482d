"""The Cluetrain comments service: accepts visitors' comments, moderates them, writes approved ones to content/."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from comments_service.config import ConfigError, load_settings
from comments_service.regeneration import Builder, RebuildFailed

__all__ = ["Builder", "ConfigError", "RebuildFailed", "create_app", "open_database"]


def _project_root(test_config: Mapping[str, Any] | None) -> Path:
    given = (test_config or {}).get("PROJECT_ROOT") or os.environ.get("CLUETRAIN_PROJECT_ROOT")
    return Path(given or Path.cwd()).resolve()


def create_app(test_config: Mapping[str, Any] | None = None, *, builder: Builder | None = None) -> Flask:
    """Build the Flask app; ``builder`` regenerates the site after comment files change (none: no rebuilds).

    Raises ConfigError naming the bad setting. Secrets and the SQLite database live in the
    project's ``instance/`` folder.
    """
    from comments_service import (admin, api, auth, db, errors, origins, receipts, runtime, search, static_site,
                                  submission)
    from comments_service import identity_views, moderation_export, notification_views, recognition_api
    from comments_service import feedback_admin, feedback_api, feedback_moderation_api, feedback_runtime, feedback_views

    instance = _project_root(test_config) / "instance"
    app = Flask(__name__, instance_path=str(instance), instance_relative_config=True,
                static_url_path="/_service/static")  # never shadows the site's own files
    instance.mkdir(parents=True, exist_ok=True)
    settings = load_settings(instance, os.environ, test_config)
    app.config.update(settings)
    app.config.update(
        SESSION_COOKIE_NAME="cluetrain_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_FORM_MEMORY_SIZE=settings["MAX_CONTENT_LENGTH"],
        JSON_SORT_KEYS=False,
    )
    if settings["TRUSTED_PROXIES"]:
        n = settings["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    db.init_app(app)
    runtime.init_app(app, app.extensions["cluetrain_db"], builder)
    feedback_runtime.init_app(app, app.extensions["cluetrain"])
    notification_views.init_app(app)  # community notifications: outbox sender thread and mail-link routes
    identity_views.init_app(app)  # community: verified identity (confirmation links, identity cookie)
    recognition_api.init_app(app)  # community: helpful / rewarded marks on comments
    moderation_export.init_app(app)  # community: moderation counts re-exported after moderation actions
    origins.init_app(app)
    errors.init_app(app)
    app.jinja_env.globals.update(csrf_token=auth.csrf_token, site_name=settings["SITE_NAME"],
                                 site_origin=origins.site_origin)
    for blueprint in (submission.bp, receipts.bp, api.bp, admin.bp, search.bp,
                      feedback_views.bp, feedback_api.bp, feedback_moderation_api.bp, feedback_admin.bp):
        app.register_blueprint(blueprint)
    static_site.init_app(app)  # last: its catch-all route must not shadow the service's
    return app


def open_database(project_root: Path) -> Any:
    """The project's service database, migrated, without starting the service (for CLI commands)."""
    from comments_service.db import Database, upgrade

    instance = Path(project_root).resolve() / "instance"
    settings = load_settings(instance, os.environ, {"PROJECT_ROOT": project_root})
    database = Database(settings["DATABASE_URL"], busy_timeout=settings["SQLITE_BUSY_TIMEOUT"])
    upgrade(database, instance / "migrate.lock")
    return database
