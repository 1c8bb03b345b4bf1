"""Praxisaustausch: the application factory, read as a table of contents."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, error handlers, commands."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder="static",
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
    )
    load_settings(app, config)
    register_logging(app)
    register_proxies(app)
    register_extensions(app)
    register_request_hooks(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def load_settings(app: Flask, overrides: dict | None) -> None:
    """Environment first, then the caller's overrides; a secret key from instance/."""
    from events.config import load_config, secret_key_from_instance

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(load_config(app.instance_path))
    app.config.update(overrides or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key_from_instance(app.instance_path)


def register_logging(app: Flask) -> None:
    """Plain, useful logs on stderr for our own modules."""
    logger = logging.getLogger("events")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))


def register_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` reverse proxies, trust their X-Forwarded-* headers.

    Without it every client would share the proxy's address, and so one rate limit.
    """
    hops = app.config.get("TRUSTED_PROXIES", 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_extensions(app: Flask) -> None:
    """Bind every extension from ``events.extensions`` and set up the engine."""
    from events.database import configure_engine
    from events.extensions import babel, csrf, db, limiter, login_manager, mail, migrate

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                     compare_type=True)
    mail.init_app(app)
    csrf.init_app(app)
    from events.web import language  # German by default; a cookie or the API's Accept-Language

    language.register(app)  # compiles translations/*/messages.po into .mo when needed
    babel.init_app(app, locale_selector=language.select_locale)
    limiter.init_app(app)
    check_limits_where_declared(app, limiter)
    login_manager.init_app(app)
    from events.web.session_cookie import SignedCookieSessions

    app.session_interface = SignedCookieSessions()
    if not app.config.get("MAIL_SERVER"):
        logging.getLogger("events").info(
            "MAIL_SERVER is not set: e-mails are written to %s", app.config["MAIL_DIR"])


def check_limits_where_declared(app: Flask, limiter) -> None:
    """Our rate limits sit on their routes (``@limiter.limit``), whose decorator checks them.
    flask-limiter also checks every request in a ``before_request`` hook, for limits that
    apply to the whole app (``RATELIMIT_DEFAULT``, ``RATELIMIT_APPLICATION``, limits on a
    blueprint). Without such limits that hook finds nothing to check on any request and
    costs ~30 µs each (issue 15: 8 % of a workshop page), so it is taken out; as soon as
    one is configured, it stays."""
    manager = limiter.limit_manager
    blueprint_limits = getattr(manager, "_blueprint_limits", None)
    if manager.default_limits or manager.application_limits or blueprint_limits is None \
            or any(blueprint_limits.values()):
        return
    hooks = app.before_request_funcs.get(None, [])
    check = getattr(limiter, "_check_request_limit", None)  # private: if renamed, it stays
    if check is not None and check in hooks:
        hooks.remove(check)


def register_request_hooks(app: Flask) -> None:
    """Bounded ids in URLs; unstorable text refused at the edge; on SQLite, a request that
    may write takes the write lock first; public pages kept rendered (``PAGE_CACHE_SECONDS``);
    large text answers gzip-compressed."""
    from events.web import compression, edge, page_cache
    from events.web.common import begin_writes_immediately

    edge.install_converters(app)
    app.before_request(edge.refuse_unstorable_text)
    app.before_request(begin_writes_immediately)
    page_cache.register(app)
    app.after_request(compression.compress)


def register_blueprints(app: Flask) -> None:
    from events.web import api, health, public, registration

    app.register_blueprint(health.bp)
    from events.web import registration_data  # adds /anmeldung/<token>/meine-daten.json, …
    del registration_data  # … and /loeschen to registration.bp: importing it is enough
    app.register_blueprint(registration.bp)
    app.register_blueprint(api.bp)
    from events.web import feeds  # .ics feeds and downloads; the pages' calendar helpers
    app.register_blueprint(feeds.bp)
    public.register(app)  # catalogue, workshop pages, privacy, imprint, KERN assets
    from events.web import certificates  # /bescheinigung/<code>: is this certificate genuine?
    app.register_blueprint(certificates.bp)
    # /praxisbeispiele/einreichen, private links; contributions_data adds the submitter's
    # data routes (JSON, erase, anonymise) to its blueprint: importing it is enough
    from events.web import contributions_data, contributions_submit
    del contributions_data
    app.register_blueprint(contributions_submit.bp)
    from events.web import api_contributions_submit  # POST /api/v1/contributions
    app.register_blueprint(api_contributions_submit.bp)
    from events.web import contributions  # /praxisbeispiele: search, example pages, feed
    app.register_blueprint(contributions.bp)
    from events.web import api_contributions  # GET /api/v1/contributions[/<id>]
    app.register_blueprint(api_contributions.bp)
    from events.web import organiser  # the back office under /organiser, behind one gate
    organiser.register(app)


def register_errorhandlers(app: Flask) -> None:
    from events.web import errors

    errors.register(app)


def register_template_helpers(app: Flask) -> None:
    """Jinja filters for German dates; the templates never format by hand. ``site_url()``:
    the address absolute links start with (``events.urls.base_url``)."""
    from events import formatting, urls

    app.jinja_env.globals["site_url"] = urls.base_url

    app.jinja_env.filters["datetime_de"] = formatting.for_page(formatting.format_datetime)
    app.jinja_env.filters["date_de"] = formatting.for_page(formatting.format_date)
    app.jinja_env.filters["range_de"] = formatting.for_page(formatting.format_range)


def register_commands(app: Flask) -> None:
    from events.cli import register

    register(app)
