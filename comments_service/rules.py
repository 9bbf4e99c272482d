"""The moderation rules file (TOML): loaded once at start into a checked, immutable RuleSet."""

from __future__ import annotations

import enum
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from comments_service.config import ConfigError

DEFAULT_RULES_FILE = Path(__file__).with_name("rules.toml")


class Fallback(enum.StrEnum):
    """What happens to a comment that no rule decided."""

    HOLD = "hold"
    APPROVE = "approve"


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Every knob of the moderation rules; see rules.toml for what each one does."""

    hold_all: bool = False
    max_links: int = 2
    moderation_words: tuple[str, ...] = ()
    disallowed_words: tuple[str, ...] = ()
    approve_known_authors: bool = True
    staff_addresses: tuple[str, ...] = ()
    staff_domains: tuple[str, ...] = ()
    honeypot: bool = True
    min_fill_seconds: float = 3.0
    flood_seconds: float = 15.0
    rate_limit_count: int = 10
    rate_limit_seconds: float = 600.0
    refuse_duplicates: bool = True
    fallback: Fallback = Fallback.HOLD


# TOML table.key → RuleSet field: the file groups settings by what they do.
_LAYOUT: dict[str, dict[str, str]] = {
    "hold": {"all": "hold_all", "max_links": "max_links", "words": "moderation_words"},
    "reject": {"words": "disallowed_words"},
    "approve": {"known_authors": "approve_known_authors", "addresses": "staff_addresses", "domains": "staff_domains"},
    "spam": {"honeypot": "honeypot", "min_fill_seconds": "min_fill_seconds"},
    "limits": {
        "flood_seconds": "flood_seconds",
        "rate_limit_count": "rate_limit_count",
        "rate_limit_seconds": "rate_limit_seconds",
        "refuse_duplicates": "refuse_duplicates",
    },
    "default": {"action": "fallback"},
}
_TYPES = {f.name: f.type for f in fields(RuleSet)}


def _convert(where: str, name: str, value: Any) -> Any:
    kind = _TYPES[name]
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if kind == "float" and isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    if kind == "tuple[str, ...]" and isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(v.strip().lower() for v in value)
    if kind == "Fallback" and value in {f.value for f in Fallback}:
        return Fallback(value)
    expected = {"bool": "true or false", "int": "a whole number ≥ 0", "float": "a number ≥ 0",
                "tuple[str, ...]": "a list of non-empty strings", "Fallback": "\"hold\" or \"approve\""}[kind]
    raise ConfigError(f"{where}: must be {expected}, got {value!r}")


def parse_rules(data: dict[str, Any], origin: str) -> RuleSet:
    """Check a parsed rules document and build the RuleSet; unknown tables or keys are errors."""
    values: dict[str, Any] = {}
    for table, entries in data.items():
        if table not in _LAYOUT or not isinstance(entries, dict):
            raise ConfigError(f"{origin}: unknown rules table [{table}] (known: {', '.join(_LAYOUT)})")
        for key, value in entries.items():
            if key not in _LAYOUT[table]:
                raise ConfigError(f"{origin}: unknown rule {table}.{key} (known: {', '.join(_LAYOUT[table])})")
            name = _LAYOUT[table][key]
            values[name] = _convert(f"{origin}: {table}.{key}", name, value)
    return RuleSet(**values)


def load_rules(path: Path) -> RuleSet:
    """Read and check a rules file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"RULES_FILE: {path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return parse_rules(data, str(path))
