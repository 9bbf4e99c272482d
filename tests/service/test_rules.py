"""Every moderation rule, both ways; the order; the rules file; the rules against the real database."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import pytest

from comments_service import guard
from comments_service.config import ConfigError
from comments_service.guard import Action, Candidate, evaluate
from comments_service.keys import body_hash, issue_form_token
from comments_service.rules import Fallback, RuleSet, load_rules, parse_rules
from tests.service.conftest import comment_json

BASE = Candidate(thread="hello", author="Ada", email="ada@example.org", website="https://ada.example.org/",
                 body="Hello there", html="<p>Hello there</p>", body_hash=body_hash("Hello there"),
                 ip="203.0.113.9", honeypot="", form_age=60.0)
QUIET = RuleSet(flood_seconds=0, rate_limit_count=0, approve_known_authors=False)


@dataclass
class FakeHistory:
    last: float | None = None
    from_ip: int = 0
    duplicate: bool = False
    known: bool = False
    ban: str | None = None
    confirmed: bool = False

    def seconds_since_last(self, *, ip, email):
        return self.last

    def count_from_ip(self, ip, within_seconds):
        return self.from_ip

    def is_duplicate(self, candidate):
        return self.duplicate

    def is_known_author(self, author, email):
        return self.known

    def ban_matching(self, *, ip, email):
        return self.ban

    def is_confirmed_email(self, email):
        return self.confirmed


def decide(candidate=BASE, rules=QUIET, **history):
    return evaluate(candidate, rules, FakeHistory(**history))


def test_nothing_fires_falls_back_to_hold_or_approve():
    assert (decide().action, decide().rule) == (Action.HOLD, "default")
    approving = decide(rules=replace(QUIET, fallback=Fallback.APPROVE))
    assert (approving.action, approving.rule) == (Action.APPROVE, "default")


def test_duplicate_both_ways():
    assert decide(duplicate=True).rule == "duplicate" and decide(duplicate=True).action is Action.REFUSE
    assert decide(duplicate=True, rules=replace(QUIET, refuse_duplicates=False)).rule == "default"


def test_flood_both_ways():
    rules = replace(QUIET, flood_seconds=15)
    assert decide(rules=rules, last=3.0).rule == "flood"
    assert decide(rules=rules, last=30.0).rule == "default"
    assert decide(rules=rules, last=None).rule == "default"


def test_rate_limit_both_ways():
    rules = replace(QUIET, rate_limit_count=10)
    assert decide(rules=rules, from_ip=10).action is Action.REFUSE
    assert decide(rules=rules, from_ip=9).rule == "default"
    assert decide(replace(BASE, ip=None), rules=rules, from_ip=99).rule == "default"


def test_honeypot_both_ways():
    assert decide(replace(BASE, honeypot="http://spam")).action is Action.SPAM
    assert decide(replace(BASE, honeypot="x"), rules=replace(QUIET, honeypot=False)).rule == "default"


def test_banned_both_ways():
    assert decide(ban="email ada@example.org").rule == "banned"
    assert decide(ban=None).rule == "default"


@pytest.mark.parametrize("where", ["body", "author", "email", "website", "ip", "markup"])
def test_disallowed_words_in_every_field_and_without_markup(where):
    rules = replace(QUIET, disallowed_words=("viagra", "203.0.113."))
    if where == "ip":
        candidate = replace(BASE, ip="203.0.113.50")
    elif where == "markup":  # split by markup, whole in the text
        candidate = replace(BASE, body="via**gra**", html="<p>via<strong>gra</strong></p>", ip=None)
    else:
        candidate = replace(BASE, ip=None, **{where: {"email": "x@VIAGRA.example", "website": "https://viagra.example/"}
                                              .get(where, "Cheap VIAGRA")})
    decision = decide(candidate, rules=rules)
    assert (decision.action, decision.rule) == (Action.REJECT, "disallowed_words")
    assert decide(replace(BASE, ip=None), rules=rules).rule == "default"


def test_fill_time_holds_missing_and_fast_forms_and_passes_slow_ones():
    rules = replace(QUIET, min_fill_seconds=3)
    assert decide(replace(BASE, form_age=None), rules=rules).rule == "fill_time"
    assert decide(replace(BASE, form_age=1.0), rules=rules).action is Action.HOLD
    assert decide(replace(BASE, form_age=5.0), rules=rules).rule == "default"
    assert decide(replace(BASE, form_age=None), rules=replace(QUIET, min_fill_seconds=0)).rule == "default"


def test_hold_all_both_ways():
    rules = replace(QUIET, hold_all=True, staff_domains=("example.org",))
    assert decide(rules=rules).rule == "hold_all"  # holds even staff: it means every comment
    assert decide(rules=replace(rules, hold_all=False)).rule == "staff"


@pytest.mark.parametrize("field", ["body", "author", "email", "website", "ip"])
def test_moderation_words_in_every_field(field):
    values = {"body": "buy CASINO chips", "author": "Casino Bob", "email": "bob@casino.example",
              "website": "https://casino.example/", "ip": "198.51.100.7"}
    rules = replace(QUIET, moderation_words=("casino", "198.51.100."))
    assert decide(replace(BASE, **{field: values[field]}), rules=rules).rule == "moderation_words"
    assert decide(rules=rules).rule == "default"


def test_max_links_counts_links_and_bare_urls():
    rules = replace(QUIET, max_links=2, fallback=Fallback.APPROVE)
    two = replace(BASE, html='<p><a href="https://a">a</a> <a href="https://b">b</a></p>')
    bare = replace(BASE, body="see http://a.example and https://b.example")
    assert decide(two, rules=rules).rule == "max_links" and decide(bare, rules=rules).rule == "max_links"
    one = replace(BASE, html='<p><a href="https://a">a</a></p>')
    assert decide(one, rules=rules).rule == "default"
    assert decide(two, rules=replace(rules, max_links=0)).rule == "default"


def test_staff_addresses_and_domains():
    rules = replace(QUIET, staff_addresses=("boss@corp.example",), staff_domains=("example.org",))
    assert decide(rules=rules).rule == "staff"
    assert decide(replace(BASE, email="BOSS@corp.example"), rules=rules).action is Action.APPROVE
    assert decide(replace(BASE, email="x@evil.example"), rules=rules).rule == "default"
    assert decide(replace(BASE, email="x@notexample.org"), rules=rules).rule == "default"


def test_known_author_both_ways():
    rules = replace(QUIET, approve_known_authors=True)
    assert decide(rules=rules, known=True).rule == "known_author"
    assert decide(rules=rules, known=False).rule == "default"
    assert decide(replace(BASE, email=None), rules=rules, known=True).rule == "default"


def test_order_refusals_before_spam_before_holds_before_approvals():
    rules = replace(QUIET, flood_seconds=15, hold_all=True, approve_known_authors=True)
    everything = replace(BASE, honeypot="x")
    assert decide(everything, rules=rules, last=1.0, known=True).rule == "flood"
    assert decide(everything, rules=rules, known=True).rule == "honeypot"
    assert decide(rules=rules, known=True).rule == "hold_all"
    assert [r.__name__ for r in guard.ORDER][:3] == ["duplicate", "flood", "rate_limit"]


def test_rules_file_is_checked(tmp_path):
    rules = parse_rules({"hold": {"words": ["Casino "]}, "default": {"action": "approve"}}, "t")
    assert rules.moderation_words == ("casino",) and rules.fallback is Fallback.APPROVE
    with pytest.raises(ConfigError, match=r"unknown rule hold\.wrds"):
        parse_rules({"hold": {"wrds": []}}, "t")
    with pytest.raises(ConfigError, match=r"unknown rules table \[holds\]"):
        parse_rules({"holds": {}}, "t")
    with pytest.raises(ConfigError, match=r"hold\.max_links: must be a whole number"):
        parse_rules({"hold": {"max_links": "2"}}, "t")
    bad = tmp_path / "bad.toml"
    bad.write_text("[hold\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_rules(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_rules(tmp_path / "missing.toml")


def test_the_packaged_defaults_are_the_wordpress_set():
    from comments_service.rules import DEFAULT_RULES_FILE

    rules = load_rules(DEFAULT_RULES_FILE)
    assert rules.max_links == 2 and rules.flood_seconds == 15 and rules.approve_known_authors
    assert rules.fallback is Fallback.HOLD and not rules.hold_all and rules.honeypot


# --- against the real database -------------------------------------------------------------------


def test_known_author_needs_the_same_name_and_email(client, auth):
    first = client.post("/api/comments", json=comment_json(body="one")).get_json()
    client.post(f"/api/moderation/comments/{first['id']}/approve", headers=auth)
    assert client.post("/api/comments", json=comment_json(body="two")).status_code == 201
    other_name = client.post("/api/comments", json=comment_json(body="three", author="Not Ada"))
    other_mail = client.post("/api/comments", json=comment_json(body="four", email="else@example.org"))
    assert other_name.status_code == other_mail.status_code == 202


def test_min_fill_time_with_real_form_tokens(make_app):
    app = make_app(rules="[limits]\nflood_seconds = 0\n[spam]\nmin_fill_seconds = 3\n[default]\naction = \"approve\"\n")
    client = app.test_client()
    old = issue_form_token(app.config["SECRET_KEY"], now=time.time() - 10)
    fresh = issue_form_token(app.config["SECRET_KEY"])
    forged = old[:-2] + ("AA" if not old.endswith("AA") else "BB")
    assert client.post("/api/comments", json=comment_json(body="a", form_token=old)).status_code == 201
    assert client.post("/api/comments", json=comment_json(body="b", form_token=fresh)).get_json()["status"] == "awaiting_moderation"
    assert client.post("/api/comments", json=comment_json(body="c", form_token=forged)).status_code == 202
    assert client.post("/api/comments", json=comment_json(body="d")).status_code == 202  # held, never dropped


def test_honeypot_is_stored_as_spam_with_a_receipt(client):
    response = client.post("/api/comments", json=comment_json(hp="I am a bot"))
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "not_published" and "spam" in body["reason"]


def test_disallowed_words_are_rejected_with_a_reason(make_app):
    client = make_app(rules='[reject]\nwords = ["viagra"]\n[spam]\nmin_fill_seconds = 0\n').test_client()
    body = client.post("/api/comments", json=comment_json(body="cheap v<b>ia</b>gra")).get_json()
    assert body["status"] == "not_published" and "does not accept" in body["reason"]


def test_confirmed_email_without_proof_is_held_even_for_known_authors_and_staff():
    rules = replace(QUIET, approve_known_authors=True, staff_domains=("example.org",))
    decision = decide(rules=rules, known=True, confirmed=True)
    assert (decision.action, decision.rule) == (Action.HOLD, "unproven_identity")
    assert decide(rules=rules, known=True).rule == "staff"  # an unconfirmed address: as before


def test_proof_approves_under_the_confirmed_name_only():
    proven = replace(BASE, proven_email=BASE.email.lower(), proven_name=BASE.author)
    assert decide(proven, confirmed=True).rule == "verified"
    renamed = replace(proven, proven_name="Someone Else")
    assert decide(renamed, confirmed=True).rule == "default"  # proved the address, not the name: not held either
    assert decide(proven, rules=replace(QUIET, hold_all=True), confirmed=True).rule == "hold_all"


def test_known_author_does_not_trust_a_typed_confirmed_address():
    from comments_service.guard import known_author

    rules = replace(QUIET, approve_known_authors=True)
    assert known_author(BASE, rules, FakeHistory(known=True, confirmed=True)) is None
    proven = replace(BASE, proven_email=BASE.email.lower(), proven_name="x")
    assert known_author(proven, rules, FakeHistory(known=True, confirmed=True)).rule == "known_author"
