"""Moderation rules as small functions run in a fixed order; the first Decision wins.

Each rule looks at a :class:`Candidate` (what was submitted, already validated) and returns
a :class:`Decision` naming itself and why, or None to pass. Rules that need the past
(floods, known authors, bans) ask a :class:`History`, so this module needs no database.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from cluetrain.markup import plain_text
from comments_service.rules import Fallback, RuleSet

_URL = re.compile(r"https?://", re.IGNORECASE)


class Action(enum.StrEnum):
    """What a rule decided."""

    REFUSE = "refuse"  # not stored: the visitor gets the form back with the reason
    SPAM = "spam"
    REJECT = "reject"
    HOLD = "hold"
    APPROVE = "approve"


@dataclass(frozen=True, slots=True)
class Decision:
    """A rule's verdict; ``reason`` is for moderators, ``public`` for the visitor."""

    action: Action
    rule: str
    reason: str
    public: str | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A validated submission, as the rules see it."""

    thread: str
    author: str
    email: str | None
    website: str | None
    body: str
    html: str
    body_hash: str
    ip: str | None
    honeypot: str = ""
    form_age: float | None = None  # seconds since the form token was issued; None: missing or invalid
    proven_email: str | None = None  # lowercased e-mail the sender's identity cookie proves; None: no valid cookie
    proven_name: str | None = None  # the name that e-mail was confirmed under

    def proves_email(self) -> bool:
        """Whether the identity cookie proves the e-mail typed in this submission."""
        return bool(self.email and self.proven_email and self.email.strip().lower() == self.proven_email)


class History(Protocol):
    """What the rules may ask about earlier submissions."""

    def seconds_since_last(self, *, ip: str | None, email: str | None) -> float | None: ...

    def count_from_ip(self, ip: str, within_seconds: float) -> int: ...

    def is_duplicate(self, candidate: Candidate) -> bool: ...

    def is_known_author(self, author: str, email: str) -> bool: ...

    def ban_matching(self, *, ip: str | None, email: str | None) -> str | None: ...

    def is_confirmed_email(self, email: str) -> bool: ...


Rule = Callable[[Candidate, RuleSet, History], "Decision | None"]


def duplicate(c: Candidate, rules: RuleSet, history: History) -> Decision | None:
    """Refuse the same text again in the same thread from the same author or e-mail."""
    if rules.refuse_duplicates and history.is_duplicate(c):
        return Decision(Action.REFUSE, "duplicate", "same comment already received",
                        "You have already sent this comment to this discussion.")
    return None


def flood(c: Candidate, rules: RuleSet, history: History) -> Decision | None:
    """Refuse a comment sent too soon after the previous one from the same IP or e-mail."""
    if rules.flood_seconds <= 0:
        return None
    age = history.seconds_since_last(ip=c.ip, email=c.email)
    if age is not None and age < rules.flood_seconds:
        wait = max(1, round(rules.flood_seconds - age))
        return Decision(Action.REFUSE, "flood", f"previous comment {age:.1f} s ago",
                        f"You are posting too quickly. Please wait {wait} seconds and send again.")
    return None


def rate_limit(c: Candidate, rules: RuleSet, history: History) -> Decision | None:
    """Refuse past a number of comments per IP address within a window."""
    if rules.rate_limit_count <= 0 or not c.ip:
        return None
    if history.count_from_ip(c.ip, rules.rate_limit_seconds) >= rules.rate_limit_count:
        minutes = max(1, round(rules.rate_limit_seconds / 60))
        return Decision(Action.REFUSE, "rate_limit", f"{rules.rate_limit_count} comments from {c.ip} already",
                        f"Too many comments from your network recently. Please try again in {minutes} minutes.")
    return None


def honeypot(c: Candidate, rules: RuleSet, history: History) -> Decision | None:
    """Mark as spam when the hidden field, invisible to people, was filled in."""
    if rules.honeypot and c.honeypot.strip():
        return Decision(Action.SPAM, "honeypot", "hidden field filled in",
                        "It was recognised as automated spam.")
    return None


def banned(c: Candidate, rules: RuleSet, history: History) -> Decision | None:
    """Mark as spam when the e-mail or IP address is banned."""
    match = history.ban_matching(ip=c.ip, email=c.email)
    if match:
        return Decision(Action.SPAM, "banned", f"banned {match}", "Comments from this sender are not accepted.")
    return None


def _fields(c: Candidate) -> list[str]:
    return [c.body, c.author, c.email or "", c.website or "", c.ip or ""]


def _find_word(words: tuple[str, ...], haystacks: list[str]) -> str | None:
    lowered = [h.lower() for h in haystacks]
    return next((w for w in words if any(w in h for h in lowered)), None)


def disallowed_words(c: Candidate, rules: RuleSet, history: History) -> Decision | None:
    """Reject when a disallowed word appears, also in the text with markup removed."""
    if not rules.disallowed_words:
        return None  # without words to find, the markup need not be parsed again (every submission, twice)
    word = _find_word(rules.disallowed_words, [*_fields(c), plain_text(c.html)])
    if word:
        return Decision(Action.REJECT, "disallowed_words", f"contains disallowed word {word!r}",
                        "It contains words this site does not accept.")
    return None


def fill_time(c: Candidate, rules: RuleSet, history: History) -> Decision | None:
    """Hold, never drop, a comment without a valid form token or sent implausibly fast."""
    if rules.min_fill_seconds <= 0:
        return None
    if c.form_age is None:
        return Decision(Action.HOLD, "fill_time", "no valid form token (JavaScript off, or an old page)")
    if c.form_age < rules.min_fill_seconds:
        return Decision(Action.HOLD, "fill_time", f"sent {c.form_age:.1f} s after the form was shown")
    return None


def hold_all(c: Candidate, rules: RuleSet, history: History) -> Decision | None:
    """Hold every comment when the site says so."""
    if rules.hold_all:
        return Decision(Action.HOLD, "hold_all", "every comment is held for moderation")
    return None


def moderation_words(c: Candidate, rules: RuleSet, history: History) -> Decision | None:
    """Hold when a moderation word appears in body, author, e-mail, website or IP."""
    word = _find_word(rules.moderation_words, _fields(c))
    if word:
        return Decision(Action.HOLD, "moderation_words", f"contains moderation word {word!r}")
    return None


def count_links(c: Candidate) -> int:
    """Links in the rendered comment, or bare http(s):// URLs in its text if there are more."""
    return max(c.html.count("<a "), len(_URL.findall(c.body)))


def max_links(c: Candidate, rules: RuleSet, history: History) -> Decision | None:
    """Hold a comment with too many links."""
    links = count_links(c)
    if rules.max_links and links >= rules.max_links:
        return Decision(Action.HOLD, "max_links", f"{links} links (holding at {rules.max_links})")
    return None


def unproven_identity(c: Candidate, rules: RuleSet, history: History) -> Decision | None:
    """Hold a comment typed with a confirmed person's e-mail by a sender who has not proved it."""
    # Whoever confirmed the address owns it: without the cookie (or a new link) anyone could post as them.
    if c.email and not c.proves_email() and history.is_confirmed_email(c.email):
        return Decision(Action.HOLD, "unproven_identity",
                        "the e-mail is confirmed by its owner; this sender has no confirmation cookie for it")
    return None


def staff(c: Candidate, rules: RuleSet, history: History) -> Decision | None:
    """Approve allow-listed staff addresses and domains."""
    if not c.email:
        return None
    email = c.email.lower()
    if email in rules.staff_addresses or email.rpartition("@")[2] in rules.staff_domains:
        return Decision(Action.APPROVE, "staff", f"allow-listed address {email}")
    return None


def verified(c: Candidate, rules: RuleSet, history: History) -> Decision | None:
    """Approve a sender whose identity cookie proves the e-mail, under the name it was confirmed with."""
    if c.proves_email() and c.author == c.proven_name:
        return Decision(Action.APPROVE, "verified", "e-mail confirmed by link; identity cookie matches")
    return None


def known_author(c: Candidate, rules: RuleSet, history: History) -> Decision | None:
    """Approve an author whose earlier comment (same name and e-mail) was approved."""
    if not rules.approve_known_authors or not c.email:
        return None
    if not c.proves_email() and history.is_confirmed_email(c.email):
        return None  # a confirmed address is trusted only with its proof, never as typed
    if history.is_known_author(c.author, c.email):
        return Decision(Action.APPROVE, "known_author", "author has an approved comment")
    return None


ORDER: tuple[Rule, ...] = (
    duplicate, flood, rate_limit,  # refusals: the visitor can fix these and send again
    honeypot, banned, disallowed_words,  # never published
    fill_time, hold_all, moderation_words, max_links, unproven_identity,  # a moderator decides
    staff, verified, known_author,  # trusted
)


def evaluate(candidate: Candidate, rules: RuleSet, history: History) -> Decision:
    """Run the rules in ORDER; the first decision wins, else the configured fallback."""
    for rule in ORDER:
        decision = rule(candidate, rules, history)
        if decision is not None:
            return decision
    if rules.fallback is Fallback.APPROVE:
        return Decision(Action.APPROVE, "default", "no rule held it; the default is to approve")
    return Decision(Action.HOLD, "default", "no rule approved it; the default is to hold")
