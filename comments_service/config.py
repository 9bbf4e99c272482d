"""Every service setting, declared once with its type, default and help; loaded and validated at start.

Sources, later ones winning: the defaults below, the TOML file ``CONFIG_FILE`` (by default
``instance/service.toml``), ``CLUETRAIN_<NAME>`` environment variables, then the mapping
given to ``create_app`` (tests). An unknown name or a value of the wrong type is a
:class:`ConfigError` that names the key and where it came from.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cluetrain.content_format import DEFAULT_CLOSED_STATUSES, DEFAULT_STATUSES

ENV_PREFIX = "CLUETRAIN_"


class ConfigError(ValueError):
    """A setting is unknown, of the wrong type or out of range; the message names it."""


@dataclass(frozen=True, slots=True)
class Setting:
    """One documented setting."""

    name: str
    type: type
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("CONFIG_FILE", Path, None, "TOML file of settings (keys as named here); default `instance/service.toml`; environment only"),
    Setting("PROJECT_ROOT", Path, None, "the project folder (holds content/ and output/); default the current folder"),
    Setting("CONTENT_PATH", Path, None, "where approved comments are written; default `PROJECT_ROOT/content`"),
    Setting("OUTPUT_PATH", Path, None, "the built site; default `PROJECT_ROOT/output`"),
    Setting("MANIFEST_PATH", Path, None, "the thread manifest written by the build; default `OUTPUT_PATH/threads.json`"),
    Setting("RULES_FILE", Path, None, "moderation rules (TOML, see \"Moderation rules\"); default the packaged `rules.toml`"),
    Setting("DATABASE_URL", str, "", "SQLAlchemy URL, e.g. `postgresql+psycopg://user@host/db`; default SQLite in `instance/comments.sqlite3`"),
    Setting("SQLITE_BUSY_TIMEOUT", float, 30.0, "seconds a SQLite writer waits for the write lock before failing"),
    Setting("AUTO_MIGRATE", bool, True, "upgrade the database schema to the newest version at start"),
    Setting("SECRET_KEY", str, None, "signs sessions and form tokens; default a random key kept in `instance/secret_key`"),
    Setting("AVATAR_SECRET", str, None, "keys the avatar hash of e-mail addresses; default a random key kept in `instance/avatar_secret`"),
    Setting("SITE_NAME", str, "Cluetrain", "the site's name, shown in the service pages' header"),
    Setting("SITE_URL", str, "", "the public site's origin (links, allowed Origin); default taken from the manifest's URLs"),
    Setting("ALLOWED_ORIGINS", list, [], "extra origins allowed to post comments and call the visitor API from browsers"),
    Setting("SERVE_SITE", bool, True, "also serve OUTPUT_PATH at `/` (local use; in production the web server does it)"),
    Setting("SESSION_COOKIE_SECURE", bool, True, "send the moderator session cookie over HTTPS only (turn off for http://127.0.0.1)"),
    Setting("MAX_CONTENT_LENGTH", int, 1_048_576, "largest request body in bytes; larger requests get 413"),
    Setting("TRUSTED_PROXIES", int, 0, "reverse proxies in front of the service whose X-Forwarded-For/-Proto to trust"),
    Setting("FORM_TOKEN_MAX_AGE", int, 86_400, "seconds a form token stays valid"),
    Setting("LOGIN_MAX_FAILURES", int, 5, "failed logins per account within LOGIN_WINDOW_SECONDS before it is throttled"),
    Setting("LOGIN_IP_MAX_FAILURES", int, 20, "failed logins per IP address within LOGIN_WINDOW_SECONDS before it is throttled"),
    Setting("LOGIN_WINDOW_SECONDS", int, 900, "the login throttling window"),
    Setting("PUBLISH_ON_COMMIT", bool, True, "write approved comments to content/ right after a moderation action commits"),
    Setting("PUBLISH_POLL_SECONDS", float, 5.0, "how often the background publisher re-checks the outbox (0: only at start and on actions)"),
    Setting("REBUILD_DELAY_SECONDS", float, 0.0, "how long the rebuild worker waits after a change to gather a burst into one build; 0 builds at once (changes arriving during a build always share the next one)"),
    Setting("REBUILD_RETRY_SECONDS", float, 10.0, "how long after a failed build the worker tries again"),
    Setting("EMBEDDED_BUILDER", bool, True, "`cluetrain serve`/`demo` build the site in the service process, and every `wsgi_app()` worker stands by to build (the one holding the builder lease does); false: only `cluetrain builder` processes build (see \"Production\")"),
    Setting("BUILDER_POLL_SECONDS", float, 1.0, "how often `cluetrain builder` looks in the database for approved, changed or removed comments and feedback to build; workers on the same host also wake it at once (`instance/builder.sock`)"),
    Setting("BUILDER_LEASE_SECONDS", float, 30.0, "how long the active `cluetrain builder`'s lease lasts without renewal; a standby builder takes over after it runs out"),
    Setting("BUILDER_HEARTBEAT_SECONDS", float, 10.0, "how often the active `cluetrain builder` renews its lease (well under BUILDER_LEASE_SECONDS)"),
    Setting("SEARCH_INDEX_PATH", Path, None, "the search index the site build writes and search reads (never writes); default `PROJECT_ROOT/search_index`, relative paths are relative to PROJECT_ROOT; must name the folder of the site setting `SEARCH_INDEX_PATH`"),
    # --- feedback hub ---
    Setting("FEEDBACK_STATUSES", list, list(DEFAULT_STATUSES), "feedback statuses in workflow order (a-z, 0-9, `-`); the first is a new item's; must be the site's `FEEDBACK_STATUSES`"),
    Setting("FEEDBACK_CLOSED_STATUSES", list, list(DEFAULT_CLOSED_STATUSES), "statuses whose items take no more votes; must be the site's `FEEDBACK_CLOSED_STATUSES`"),
    Setting("FEEDBACK_DUPLICATE_STATUS", str, "duplicate", "the status a duplicate gets when it is merged into its original"),
    Setting("FEEDBACK_ANSWER_AUTHOR", str, "", "the public name shown with official answers and status changes when none is given; default `The SITE_NAME team`"),
    Setting("FEEDBACK_VOTE_FLUSH_SECONDS", float, 60.0, "vote counts are written to the items' files (and the pages rebuilt) in batches, at most this often"),
    Setting("FEEDBACK_VOTES_PER_IP", int, 60, "votes one IP address may cast within FEEDBACK_VOTE_WINDOW_SECONDS (0: no limit)"),
    Setting("FEEDBACK_VOTE_WINDOW_SECONDS", int, 3600, "the window of FEEDBACK_VOTES_PER_IP"),
    Setting("FEEDBACK_VOTES_PER_IP_PER_ITEM", int, 5, "browsers behind one IP address that may vote for the same item (offices share an address; 0: no limit)"),
    # --- community notifications (notifications.py, mailer.py) ---
    Setting("SMTP_HOST", str, "", "SMTP server for notification e-mails; empty: notifications are off"),
    Setting("SMTP_PORT", int, 25, "the SMTP server's port"),
    Setting("SMTP_USERNAME", str, "", "SMTP login (empty: no login)"),
    Setting("SMTP_PASSWORD", str, "", "SMTP password"),
    Setting("SMTP_STARTTLS", bool, False, "upgrade the SMTP connection with STARTTLS before logging in"),
    Setting("MAIL_FROM", str, "noreply@localhost", "the sender address of notification e-mails (SITE_NAME is its display name)"),
    Setting("MODERATOR_EMAILS", list, [], "addresses told about every comment held for moderation, with signed approve/reject links"),
    Setting("MODERATOR_DIGEST_HOURS", int, 0, "0: a mail per held comment; N: instead, one digest every N hours listing the held comments, sent when something new is held"),
    Setting("MODERATION_LINK_MAX_AGE", int, 172_800, "seconds an approve/reject link in a moderator's mail stays valid"),
    Setting("NOTIFY_POLL_SECONDS", float, 5.0, "how often the notifier turns new events into mails and sends what is due (0: never in the background)"),
    Setting("NOTIFY_MAX_ATTEMPTS", int, 8, "tries before a mail is given up (waits double after each failure, from 30 s up to 6 hours)"),
    # --- community identity (identity.py, identity_views.py) ---
    Setting("CONTRIBUTOR_SECRET", str, None, "keys the public contributor key of verified addresses; default a random key kept in `instance/contributor_secret`"),
    Setting("IDENTITY_LINK_MAX_AGE", int, 172_800, "seconds a link that confirms a commenter's e-mail stays valid (each link works once)"),
    Setting("IDENTITY_COOKIE_MAX_AGE", int, 31_536_000, "seconds the confirmed-commenter cookie lasts (HttpOnly, SameSite=Lax, Secure as SESSION_COOKIE_SECURE)"),
    Setting("IDENTITY_REQUEST_INTERVAL", int, 300, "seconds before another confirmation mail is sent to the same address"),
    Setting("IDENTITY_REQUESTS_PER_HOUR", int, 200, "confirmation mails the whole site sends per hour at most (0: no cap)"),
    # --- community stats export (moderation_export.py) ---
    Setting("MODERATION_STATS_PATH", str, "stats/moderation.json", "where monthly moderation counts are exported after moderation actions, relative to CONTENT_PATH; must be the site's `COMMUNITY_MODERATION_STATS` (empty: no export)"),
    Setting("MODERATION_STATS_DELAY_SECONDS", float, 30.0, "the export waits this long without moderation actions, so a burst writes the file once (0: at once)"),
)

BY_NAME = {setting.name: setting for setting in SETTINGS}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def _from_string(setting: Setting, raw: str, origin: str) -> Any:
    """Parse an environment variable's text as the setting's type."""
    try:
        if setting.type is bool:
            lowered = raw.strip().lower()
            if lowered not in _TRUE | _FALSE:
                raise ValueError(raw)
            return lowered in _TRUE
        if setting.type is list:
            return [item.strip() for item in raw.split(",") if item.strip()]
        return setting.type(raw)
    except ValueError:
        raise ConfigError(f"{origin}: {setting.name} must be {_type_name(setting.type)}, got {raw!r}") from None


def _type_name(kind: type) -> str:
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string",
            Path: "a path", list: "a list of strings"}[kind]


def _checked(setting: Setting, value: Any, origin: str) -> Any:
    """Check a value from TOML or Python against the setting's type."""
    kind = setting.type
    if value is None and setting.default is None:
        return None
    ok = (
        (kind is bool and isinstance(value, bool))
        or (kind is int and isinstance(value, int) and not isinstance(value, bool))
        or (kind is float and isinstance(value, (int, float)) and not isinstance(value, bool))
        or (kind is str and isinstance(value, str))
        or (kind is Path and isinstance(value, (str, os.PathLike)))
        or (kind is list and isinstance(value, list) and all(isinstance(v, str) for v in value))
    )
    if not ok:
        raise ConfigError(f"{origin}: {setting.name} must be {_type_name(kind)}, got {value!r}")
    if kind is float:
        return float(value)
    if kind is Path:
        return Path(value)
    if kind in (int, float) and value < 0:
        raise ConfigError(f"{origin}: {setting.name} must not be negative, got {value!r}")
    return value


def _merge(values: dict[str, Any], source: Mapping[str, Any], origin: str) -> None:
    for name, value in source.items():
        setting = BY_NAME.get(name)
        if setting is None:
            raise ConfigError(f"{origin}: unknown setting {name!r} (see README, \"Service configuration\")")
        values[name] = _checked(setting, value, origin)


def load_settings(
    instance_path: Path, environ: Mapping[str, str], overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Defaults, then the config file, then the environment, then ``overrides``; validated."""
    values = {s.name: (list(s.default) if isinstance(s.default, list) else s.default) for s in SETTINGS}
    env = {}
    for key, raw in environ.items():
        if key.startswith(ENV_PREFIX):
            name = key[len(ENV_PREFIX):]
            if name not in BY_NAME:
                raise ConfigError(f"environment: unknown setting {key!r} (see README, \"Service configuration\")")
            env[name] = _from_string(BY_NAME[name], raw, f"environment variable {key}")
    overrides = dict(overrides or {})
    config_file = overrides.get("CONFIG_FILE") or env.get("CONFIG_FILE") or instance_path / "service.toml"
    config_file = Path(config_file)
    if config_file.is_file():
        try:
            data = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{config_file}: not valid TOML: {exc}") from exc
        if "CONFIG_FILE" in data:
            raise ConfigError(f"{config_file}: CONFIG_FILE can only be set in the environment")
        _merge(values, data, str(config_file))
    elif "CONFIG_FILE" in env or "CONFIG_FILE" in overrides:
        raise ConfigError(f"CONFIG_FILE: {config_file} does not exist")
    values.update(env)
    _merge(values, overrides, "create_app(test_config)")
    values["CONFIG_FILE"] = config_file
    return _resolve_paths(values, instance_path)


def _resolve_paths(values: dict[str, Any], instance_path: Path) -> dict[str, Any]:
    """Fill the defaults that depend on other settings and the instance folder."""
    root = Path(values["PROJECT_ROOT"] or Path.cwd()).resolve()
    values["PROJECT_ROOT"] = root
    values["CONTENT_PATH"] = Path(values["CONTENT_PATH"] or root / "content").resolve()
    values["OUTPUT_PATH"] = Path(values["OUTPUT_PATH"] or root / "output").resolve()
    values["MANIFEST_PATH"] = Path(values["MANIFEST_PATH"] or values["OUTPUT_PATH"] / "threads.json")
    values["RULES_FILE"] = Path(values["RULES_FILE"] or Path(__file__).with_name("rules.toml"))
    if not values["DATABASE_URL"]:
        values["DATABASE_URL"] = f"sqlite:///{instance_path / 'comments.sqlite3'}"
    if not values["SECRET_KEY"]:
        values["SECRET_KEY"] = _instance_secret(instance_path / "secret_key")
    if not values["AVATAR_SECRET"]:
        values["AVATAR_SECRET"] = _instance_secret(instance_path / "avatar_secret")
    if not values["CONTRIBUTOR_SECRET"]:
        values["CONTRIBUTOR_SECRET"] = _instance_secret(instance_path / "contributor_secret")
    return values


def _instance_secret(path: Path) -> str:
    """Read a secret kept in the instance folder, creating it (mode 0600) the first time."""
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(tmp, path)  # atomic create-if-absent: concurrent first starts agree on one key
    except FileExistsError:
        value = path.read_text(encoding="ascii").strip()
    finally:
        tmp.unlink()
    return value
