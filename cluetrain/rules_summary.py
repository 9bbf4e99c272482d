"""The moderation rules in force, read from the service's rules TOML and told in plain words (stdlib only).

The service loads the same file (``RULES_FILE``); the site reads it here so the community
rules page can never drift from what moderation does. Keys a site's copy leaves out take
the packaged defaults, as they do in the service.
"""

from __future__ import annotations

import enum
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PACKAGED_RULES_FILE = Path(__file__).resolve().parent.parent / "comments_service" / "rules.toml"


class RulesFileError(ValueError):
    """The rules file is missing or not valid TOML; the message names it."""


class Outcome(enum.StrEnum):
    """What a rule does to a comment, as a reader sees it."""

    REFUSED = "refused"
    REJECTED = "rejected"
    HELD = "held"
    APPROVED = "approved"


@dataclass(frozen=True, slots=True)
class RuleInForce:
    """One rule that currently applies: its key (as in the service's audit log), outcome and a sentence."""

    rule: str
    outcome: Outcome
    text: str


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RulesFileError(f"rules file {path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RulesFileError(f"{path}: not valid TOML: {exc}") from exc


def load_rules_document(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """The packaged defaults with the tables of ``path`` (None: the packaged file) laid over them."""
    document = _read(PACKAGED_RULES_FILE)
    if path is not None and Path(path).resolve() != PACKAGED_RULES_FILE:
        for table, entries in _read(path).items():
            if isinstance(entries, dict):
                document.setdefault(table, {}).update(entries)
    return document


def _duration(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} second{'s' if seconds != 1 else ''}"


def rules_in_force(document: dict[str, dict[str, Any]]) -> list[RuleInForce]:
    """The rules that apply, in the order the service runs them; switched-off rules are left out."""
    limits, spam, reject = document.get("limits", {}), document.get("spam", {}), document.get("reject", {})
    hold, approve = document.get("hold", {}), document.get("approve", {})
    lines: list[RuleInForce] = []
    if limits.get("refuse_duplicates"):
        lines.append(RuleInForce("duplicate", Outcome.REFUSED, "The same comment cannot be posted twice in one discussion."))
    if limits.get("flood_seconds"):
        lines.append(RuleInForce("flood", Outcome.REFUSED,
                                 f"Wait at least {_duration(limits['flood_seconds'])} between two comments."))
    if limits.get("rate_limit_count"):
        lines.append(RuleInForce("rate_limit", Outcome.REFUSED,
                                 f"At most {limits['rate_limit_count']} comments from one network address every "
                                 f"{_duration(limits.get('rate_limit_seconds', 0))}."))
    if reject.get("words"):
        lines.append(RuleInForce("disallowed_words", Outcome.REJECTED,
                                 f"Comments using any of {len(reject['words'])} blocked words are not published."))
    if spam.get("min_fill_seconds"):
        lines.append(RuleInForce("fill_time", Outcome.HELD,
                                 f"Comments sent within {_duration(spam['min_fill_seconds'])} of opening the form, "
                                 "or from a page without JavaScript, wait for a moderator."))
    if hold.get("all"):
        lines.append(RuleInForce("hold_all", Outcome.HELD, "Every comment waits for a moderator before it appears."))
    if hold.get("words"):
        lines.append(RuleInForce("moderation_words", Outcome.HELD,
                                 f"Comments using any of {len(hold['words'])} watched words wait for a moderator."))
    if hold.get("max_links"):
        lines.append(RuleInForce("max_links", Outcome.HELD,
                                 f"Comments with {hold['max_links']} or more links wait for a moderator."))
    # Verified identity is not configurable: it is always in force (comments_service.guard).
    lines.append(RuleInForce("unproven_identity", Outcome.HELD,
                             "Comments using an e-mail address its owner has confirmed wait for a moderator unless "
                             "they come from a device the owner confirmed it on."))
    if approve.get("addresses") or approve.get("domains"):
        lines.append(RuleInForce("staff", Outcome.APPROVED, "Comments from the team's own addresses appear at once."))
    lines.append(RuleInForce("verified", Outcome.APPROVED,
                             "Once you confirm your e-mail address by the link we send, your comments under that "
                             "name appear at once from each device you confirmed it on."))
    if approve.get("known_authors"):
        lines.append(RuleInForce("known_author", Outcome.APPROVED,
                                 "Once a moderator has approved one of your comments, the next ones you send with "
                                 "the same name and e-mail appear at once."))
    default = document.get("default", {}).get("action", "hold")
    lines.append(RuleInForce("default", Outcome.APPROVED if default == "approve" else Outcome.HELD,
                             "Anything else appears at once." if default == "approve"
                             else "Anything else waits for a moderator."))
    return lines
