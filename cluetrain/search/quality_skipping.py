"""Whoosh's block-quality skipping, made to stop when it cannot make progress.

Whoosh 2.7.4 (its last release) skips posting blocks whose best score cannot reach the page being
collected. In UnionMatcher, DisjunctionMaxMatcher and AndMaybeMatcher the loop asks a child to skip
to ``minquality - other``, but the child compares in floating point: when the sum is within rounding
of ``minquality`` it skips nothing, the qualities stay the same, and the loop spins forever (upstream
issues #446 and #461, open since 2016). On our N = 500 benchmark site a one-word search for "cluster"
with one hit per page did exactly that: a visitor could pin a service thread at full CPU.

``install()`` replaces the three loops with ones that return as soon as a round skipped nothing.
Skipping is only an optimisation — the collector goes on to score the documents where the matchers
stand — so results are unchanged; IntersectionMatcher already has such a guard.
"""

from __future__ import annotations

from typing import Any

from whoosh.matching import binary, mcore


def _additive_loop(a: Any, b: Any, minquality: float) -> int:
    """The loop of UnionMatcher and AndMaybeMatcher (a match scores ``a + b``), with a progress check."""
    skipped = 0
    aq, bq = a.block_quality(), b.block_quality()
    while a.is_active() and b.is_active() and aq + bq <= minquality:
        before = (aq, bq)
        if aq < bq:
            step = a.skip_to_quality(minquality - bq)
            aq = a.block_quality()
        else:
            step = b.skip_to_quality(minquality - aq)
            bq = b.block_quality()
        skipped += step
        if not step and (aq, bq) == before:
            break  # rounding: the child will not skip what this loop asks for
    return skipped


def _union_skip_to_quality(self: Any, minquality: float) -> int:
    self._id = None
    a, b = self.a, self.b
    if not (a.is_active() or b.is_active()):
        raise mcore.ReadTooFar
    if not a.is_active():
        return b.skip_to_quality(minquality)
    if not b.is_active():
        return a.skip_to_quality(minquality)
    return _additive_loop(a, b, minquality)


def _and_maybe_skip_to_quality(self: Any, minquality: float) -> int:
    a, b = self.a, self.b
    if not a.is_active():
        raise mcore.ReadTooFar
    if not b.is_active():
        return a.skip_to_quality(minquality)
    return _additive_loop(a, b, minquality)


def _disjunction_max_skip_to_quality(self: Any, minquality: float) -> int:
    a, b = self.a, self.b
    if not a.is_active():
        return b.skip_to_quality(minquality)
    if not b.is_active():
        return a.skip_to_quality(minquality)
    skipped = 0
    aq, bq = a.block_quality(), b.block_quality()
    while a.is_active() and b.is_active() and max(aq, bq) <= minquality:
        before = (aq, bq, skipped)
        if aq <= minquality:
            skipped += a.skip_to_quality(minquality)
            aq = a.block_quality()
        if bq <= minquality:
            skipped += b.skip_to_quality(minquality)
            bq = b.block_quality()
        if (aq, bq, skipped) == before:
            break
    return skipped


def install() -> None:
    """Put the guarded loops in place of Whoosh's (idempotent)."""
    binary.UnionMatcher.skip_to_quality = _union_skip_to_quality
    binary.DisjunctionMaxMatcher.skip_to_quality = _disjunction_max_skip_to_quality
    binary.AndMaybeMatcher.skip_to_quality = _and_maybe_skip_to_quality
