"""Every site setting our plugins read, declared once with type, default and help (stdlib only).

The plugins call :func:`apply` when Pelican starts: missing settings get their default,
and a value of the wrong type is a :class:`SiteSettingError` naming the key, which the
build reports like any other bad content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cluetrain.content_format import DEFAULT_CLOSED_STATUSES, DEFAULT_ROADMAP_STATUSES, DEFAULT_STATUSES


class SiteSettingError(ValueError):
    """A site setting has a value of the wrong type or range; the message names it."""


@dataclass(frozen=True, slots=True)
class SiteSetting:
    """One documented setting of pelicanconf.py."""

    name: str
    types: tuple[type, ...]
    default: Any
    help: str
    nullable: bool = False


SITE_SETTINGS: tuple[SiteSetting, ...] = (
    SiteSetting("COMMENTS_SERVICE_URL", (str,), "",
                'base URL of the comments service; forms post to `{COMMENTS_SERVICE_URL}/comments`. Empty means the site\'s own origin.'),
    SiteSetting("COMMENTS_CLOSE_AFTER_DAYS", (int,), 0,
                "close a post's thread this many days after its date; `0` never closes automatically"),
    SiteSetting("COMMENTS_ON_PAGES", (bool,), False, "give every page a thread (otherwise only pages with `Comments: open`)"),
    SiteSetting("COMMENTS_MAX_DEPTH", (int,), 5,
                "deepest reply nesting shown; deeper replies appear at this depth under their nearest ancestor"),
    SiteSetting("COMMENTS_FEED_ATOM", (str,), "feeds/comments/{thread}.atom.xml",
                "where each thread's Atom feed is written (`None` for none)", nullable=True),
    SiteSetting("COMMENTS_FEED_ALL_ATOM", (str,), "feeds/comments.atom.xml",
                "where the feed of all comments is written (`None` for none)", nullable=True),
    SiteSetting("COMMENTS_FEED_MAX_ITEMS", (int,), 50, "entries in the all-comments feed"),
    SiteSetting("COMMENTS_MANIFEST", (str,), "threads.json",
                "where the thread manifest for the service is written (`None` for none)", nullable=True),
    SiteSetting("COMMENTS_NOW", (datetime,), None,
                'a fixed "now" (aware datetime) for closing threads: reproducible builds and tests', nullable=True),
    SiteSetting("SITEMAP_SAVE_AS", (str,), "sitemap.xml", "where the sitemap is written (`None` for none)", nullable=True),
    SiteSetting("ROBOTS_SAVE_AS", (str,), "robots.txt", "where robots.txt is written (`None` for none)", nullable=True),
    SiteSetting("KEEP_UNCHANGED_PAGES", (bool,), True,
                "a full build renders only those of Pelican's and the feedback hub's pages and feeds whose inputs "
                "changed since the last one (with the content cache on: `CACHE_CONTENT`, `LOAD_CONTENT_CACHE`), and "
                "deletes the files of content gone since; `False` renders every one and deletes none, as Pelican does"),
    # --- search (cluetrain_search) ---
    SiteSetting("SEARCH_INDEX_PATH", (str,), "search_index",
                "where the build keeps the search index, relative to the project folder (the parent of `PATH`); "
                "must be outside `OUTPUT_PATH`, and the service's `SEARCH_INDEX_PATH` must name the same folder "
                "(`None`: no index)", nullable=True),
    SiteSetting("SEARCH_REINDEX", (bool,), False,
                "index every document again in this build (one atomic commit) instead of only what changed; "
                "`cluetrain reindex` sets it"),
    SiteSetting("SEARCH_WORKER_MIN_DOCUMENTS", (int,), 2000,
                "a build with at least this many search documents to write (a first index, a reindex) writes them "
                "in a worker process while it writes the pages, if it may use a second CPU (10 times as many if the "
                "CPUs were busy while the site was read); `0`: always, `None`: never", nullable=True),
    # --- feedback hub (cluetrain_feedback) ---
    SiteSetting("FEEDBACK_STATUSES", (tuple, list), DEFAULT_STATUSES,
                "a feedback item's possible statuses in workflow order (a-z, 0-9, `-`); the first is a new item's. "
                "Shown with `-` as a space, capitalised. Must match the service's `FEEDBACK_STATUSES`"),
    SiteSetting("FEEDBACK_ROADMAP_STATUSES", (tuple, list), DEFAULT_ROADMAP_STATUSES,
                "the statuses shown as columns of the roadmap page, in order"),
    SiteSetting("FEEDBACK_CLOSED_STATUSES", (tuple, list), DEFAULT_CLOSED_STATUSES,
                "statuses whose items take no more votes"),
    SiteSetting("FEEDBACK_PER_PAGE", (int,), 20, "items per page of a feedback listing; `0` puts them all on one page"),
    SiteSetting("FEEDBACK_FEED_NEW_ATOM", (str,), "feeds/feedback/new.atom.xml",
                "where the feed of new feedback items is written (`None` for none)", nullable=True),
    SiteSetting("FEEDBACK_FEED_STATUS_ATOM", (str,), "feeds/feedback/status.atom.xml",
                "where the feed of status changes and answers is written (`None` for none)", nullable=True),
    SiteSetting("FEEDBACK_FEED_ITEM_ATOM", (str,), "feeds/feedback/{id}.atom.xml",
                "where each item's feed (status changes, answer, comments) is written (`None` for none)",
                nullable=True),
    SiteSetting("FEEDBACK_FEED_MAX_ITEMS", (int,), 50, "entries in the new-items and status-changes feeds"),
    SiteSetting("FEEDBACK_TITLES_JSON", (str,), "feedback/titles.json",
                "where the index of item titles for \"similar items\" suggestions is written (`None` for none)",
                nullable=True),
    # --- community (cluetrain_community) ---
    SiteSetting("COMMUNITY_PATH", (str,), "community",
                "the folder of the community stats page, its SVG charts (`charts/`) and the per-author pages (`authors/<slug>/`)"),
    SiteSetting("COMMUNITY_RULES_PAGE", (str,), "community-rules",
                "the slug of the page with the community rules, linked from every form (`None`: no link)", nullable=True),
    SiteSetting("COMMUNITY_RULES_FILE", (str,), "",
                "the moderation rules TOML whose rules in force the rules page summarises, relative to the project "
                "folder; must name the service's `RULES_FILE`. Empty: the packaged `comments_service/rules.toml`"),
    SiteSetting("COMMUNITY_MODERATION_STATS", (str,), "stats/moderation.json",
                "the monthly moderation counts the service exports, relative to `PATH` (`None`: not shown)", nullable=True),
    SiteSetting("COMMUNITY_CONTRIBUTOR_POINTS", (dict,),
                {"comment": 1, "feedback": 2, "done": 5, "vote": 1, "helpful": 5},
                "points on the contributors page (`contributors/`) for each approved comment, feedback item filed, "
                "item filed that reached a `COMMUNITY_DONE_STATUSES` status, vote those items received, and comment "
                "a moderator marked helpful; only people with a confirmed e-mail (a `Contributor` key) are ranked"),
    SiteSetting("COMMUNITY_CONTRIBUTOR_LEVELS", (tuple, list),
                ((0, "Newcomer"), (10, "Regular"), (50, "Expert"), (200, "Champion")),
                "(points, name) pairs at rising points; a contributor's level is the highest reached, shown on the "
                "contributors page and as a badge beside their name in threads"),
    SiteSetting("COMMUNITY_DONE_STATUSES", (tuple, list), ("done",),
                "feedback statuses that count as done for the contributors page's `done` points"),
)


def apply(settings: dict[str, Any]) -> None:
    """Fill in defaults and check types, in place; raise SiteSettingError naming a bad key."""
    for setting in SITE_SETTINGS:
        value = settings.setdefault(setting.name, setting.default)
        if value is None and (setting.nullable or setting.default is None):
            continue
        # bool is an int subclass: a True where a number belongs is a mistake worth naming.
        if not isinstance(value, setting.types) or (isinstance(value, bool) and bool not in setting.types):
            expected = " or ".join(t.__name__ for t in setting.types)
            raise SiteSettingError(f"setting {setting.name} must be {expected}, not {type(value).__name__} {value!r}")
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            raise SiteSettingError(f"setting {setting.name} must not be negative, not {value!r}")
    now = settings.get("COMMENTS_NOW")
    if now is not None and now.tzinfo is None:
        raise SiteSettingError("setting COMMENTS_NOW must carry a time zone")
