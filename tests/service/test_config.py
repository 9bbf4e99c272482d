"""Settings: one declaration, documented in README, validated from file, environment and test config."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from comments_service import create_app
from comments_service.config import SETTINGS, ConfigError, load_settings

README = Path(__file__).resolve().parents[2] / "README.md"


def documented_settings() -> set[str]:
    text = README.read_text(encoding="utf-8")
    section = re.search(r"<!-- settings:service -->(.*?)<!-- /settings:service -->", text, re.S)
    assert section, "README.md has no <!-- settings:service --> section"
    return set(re.findall(r"^\| `([A-Z_]+)` \|", section.group(1), re.M))


def test_every_setting_is_documented_in_the_readme():
    declared = {s.name for s in SETTINGS}
    assert declared - documented_settings() == set(), "settings missing from README"
    assert documented_settings() - declared == set(), "README documents settings that do not exist"


def test_every_setting_has_help_and_a_typed_default():
    for setting in SETTINGS:
        assert len(setting.help) > 10, setting.name
        assert setting.default is None or isinstance(setting.default, setting.type), setting.name


def test_file_then_environment_then_test_config(tmp_path):
    (tmp_path / "service.toml").write_text('SITE_NAME = "From file"\nMAX_CONTENT_LENGTH = 5\n', encoding="utf-8")
    env = {"CLUETRAIN_MAX_CONTENT_LENGTH": "7", "CLUETRAIN_SERVE_SITE": "false",
           "CLUETRAIN_ALLOWED_ORIGINS": "https://a.example, https://b.example", "OTHER": "x"}
    settings = load_settings(tmp_path, env, {"SQLITE_BUSY_TIMEOUT": 2})
    assert settings["SITE_NAME"] == "From file" and settings["MAX_CONTENT_LENGTH"] == 7
    assert settings["SERVE_SITE"] is False and settings["SQLITE_BUSY_TIMEOUT"] == 2.0
    assert settings["ALLOWED_ORIGINS"] == ["https://a.example", "https://b.example"]
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'comments.sqlite3'}"
    assert len(settings["SECRET_KEY"]) == 64 and (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert load_settings(tmp_path, {})["SECRET_KEY"] == settings["SECRET_KEY"]  # kept across starts


@pytest.mark.parametrize(
    ("file_text", "env", "overrides", "message"),
    [
        ('SITE_NAM = "x"\n', {}, {}, r"service\.toml: unknown setting 'SITE_NAM'"),
        ("MAX_CONTENT_LENGTH = \"big\"\n", {}, {}, r"MAX_CONTENT_LENGTH must be an integer, got 'big'"),
        ("SERVE_SITE = 1\n", {}, {}, r"SERVE_SITE must be true or false"),
        ("LOGIN_MAX_FAILURES = -1\n", {}, {}, r"LOGIN_MAX_FAILURES must not be negative"),
        ("[x\n", {}, {}, r"not valid TOML"),
        ("", {"CLUETRAIN_SERVE_SITE": "maybe"}, {}, r"CLUETRAIN_SERVE_SITE: SERVE_SITE must be true or false"),
        ("", {"CLUETRAIN_LOGIN_WINDOW_SECONDS": "1.5"}, {}, r"LOGIN_WINDOW_SECONDS must be an integer"),
        ("", {"CLUETRAIN_NOPE": "1"}, {}, r"unknown setting 'CLUETRAIN_NOPE'"),
        ("", {}, {"ALLOWED_ORIGINS": "https://x"}, r"ALLOWED_ORIGINS must be a list of strings"),
        ("", {"CLUETRAIN_CONFIG_FILE": "/nonexistent.toml"}, {}, r"CONFIG_FILE: /nonexistent\.toml does not exist"),
    ],
)
def test_bad_settings_are_errors_naming_the_key(tmp_path, file_text, env, overrides, message):
    (tmp_path / "service.toml").write_text(file_text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path, env, overrides)


def test_create_app_refuses_a_bad_rules_file(project):
    (project / "bad-rules.toml").write_text("[hold]\nmax_links = -1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"hold\.max_links"):
        create_app({"PROJECT_ROOT": str(project), "RULES_FILE": str(project / "bad-rules.toml")})


def test_the_cli_turns_config_errors_into_a_clean_message(project, runner, monkeypatch):
    monkeypatch.setenv("CLUETRAIN_MAX_CONTENT_LENGTH", "lots")
    from click.testing import CliRunner

    from cluetrain.cli import main

    result = CliRunner().invoke(main, ["--project", str(project), "token", "create"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "configuration error" in result.output and "CLUETRAIN_MAX_CONTENT_LENGTH" in result.output


def test_session_cookie_is_secure_httponly_samesite(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True)
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    client = app.test_client()
    page = client.get("/moderate/login")
    cookie = page.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_sqlite_runs_in_wal_with_full_sync(app):
    from sqlalchemy import text

    with app.extensions["cluetrain"].database.read() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
