"""Site settings: each documented in the README, each checked, bad ones named."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from cluetrain.build import BuildError
from cluetrain.site_settings import SITE_SETTINGS, SiteSettingError, apply

from .conftest import REPO


def documented() -> dict[str, str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- settings:site -->")[1].split("<!-- /settings:site -->")[0]
    return {m.group(1): m.group(2) for m in re.finditer(r"^\| `(\w+)` \| (.*?) \|", table, re.M)}


def test_every_site_setting_is_documented_with_its_default():
    table = documented()
    assert set(table) == {s.name for s in SITE_SETTINGS}
    for setting in SITE_SETTINGS:
        assert f"`{setting.default!r}`" == table[setting.name].strip(), setting.name


def test_every_setting_our_plugins_read_is_declared():
    declared = {s.name for s in SITE_SETTINGS}
    read = set()
    for path in (REPO / "plugins").rglob("*.py"):
        read |= set(re.findall(r"settings(?:\.get\(|\[)\"((?:COMMENTS|SITEMAP|ROBOTS)_\w+)\"", path.read_text()))
    assert read <= declared


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("COMMENTS_CLOSE_AFTER_DAYS", "30", "must be int, not str"),
        ("COMMENTS_CLOSE_AFTER_DAYS", True, "must be int, not bool"),
        ("COMMENTS_CLOSE_AFTER_DAYS", -1, "must not be negative"),
        ("COMMENTS_ON_PAGES", "yes", "must be bool"),
        ("COMMENTS_NOW", datetime(2026, 1, 1), "must carry a time zone"),
        ("COMMENTS_SERVICE_URL", None, "must be str"),
        ("KEEP_UNCHANGED_PAGES", "no", "must be bool"),
    ],
)
def test_bad_values_name_the_key(key, value, message):
    with pytest.raises(SiteSettingError, match=f"{key}.*{message}|{message}"):
        apply({key: value})


def test_bad_setting_fails_the_build_naming_the_key(site):
    site.post("hello")
    with pytest.raises(BuildError) as info:
        site.build(COMMENTS_FEED_MAX_ITEMS="many")
    assert info.value.problems == ["setting COMMENTS_FEED_MAX_ITEMS must be int, not str 'many'"]
