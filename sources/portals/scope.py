"""Who runs a portal: city, county, state, regional or federal body, read from the names it shows.

A county's portal linked from a city's home page, or a state portal whose name contains a city's, must
not be credited as the city's own open data program. The rules (phrases per level) live in scope.yaml;
this module applies them in a fixed order of trust: the portal's own title first, then the names of its
publishers by how many datasets carry them, then the host name. Every decision carries its reason.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import get_args

from sources.datafiles import ScopeFile, ScopeLevel, load_data_file

RULES_FILE = Path(__file__).with_name("scope.yaml")
LEVELS = (*get_args(ScopeLevel), "unknown")
_SEP = re.compile(r"[\s\-_.,/|:()’']+")


@dataclass(frozen=True)
class CityContext:
    """The city a portal is being considered for (state fields alone for state-level questions)."""

    name: str | None
    state_name: str | None
    state_abbr: str | None


@dataclass(frozen=True)
class Scope:
    level: str        # one of LEVELS
    reason: str       # which name matched which rule, for the evidence trail


def normalize(text: str) -> str:
    """Lower case, punctuation and separators as single spaces: "Miami-Dade County’s" -> "miami dade county s"."""
    return _SEP.sub(" ", text.lower()).strip()


@lru_cache(maxsize=4)
def scope_rules(path: Path = RULES_FILE) -> ScopeFile:
    """scope.yaml read and validated once per process. Typed: a misspelt level, key or placeholder names the
    file and the key, instead of a rule that never applies."""
    return load_data_file(path, ScopeFile)


@lru_cache(maxsize=4096)
def _compiled(ctx: CityContext) -> tuple[list[tuple[str, re.Pattern]], list[re.Pattern]]:
    rules = scope_rules()
    fills = {"city": _alternatives(_city_variants(ctx.name)), "state": _alternatives([ctx.state_name]),
             "st": _alternatives([ctx.state_abbr])}
    strong: list[tuple[str, re.Pattern]] = []
    for level, patterns in rules.levels.items():
        for pattern in patterns:
            filled = _fill(pattern, fills)
            if filled is not None:
                strong.append((level, re.compile(filled)))
    weak = [re.compile(f) for p in rules.city_name_titles if (f := _fill(p, fills)) is not None]
    return strong, weak


def level_of(name: str, ctx: CityContext) -> tuple[str, str] | None:
    """The level one name states outright, with the rule that said so; None when it states none."""
    text = normalize(name)
    for level, pattern in _compiled(ctx)[0]:
        if pattern.search(text):
            return level, pattern.pattern
    return None


def portal_scope(ctx: CityContext, *, title: str | None, publishers: Iterable[str | None] = (),
                 host: str | None = None) -> Scope:
    """Decide the level of the body behind a portal for the city ``ctx``."""
    counted = Counter(p.strip() for p in publishers if p and p.strip())
    names = ([("site title", title)] if title else []) + [("publisher", p) for p, _ in counted.most_common(5)]
    weak = _compiled(ctx)[1]
    for source, name in names:   # title first: a portal's own name outranks the names of its publishers
        found = level_of(name, ctx)
        if found:
            return Scope(found[0], f'{source} "{name}" matches {found[0]} rule /{found[1]}/')
        if any(p.search(normalize(name)) for p in weak):
            return Scope("city", f'{source} "{name}" is the city name as a portal title')
    if host:
        found = level_of(host, ctx)
        if found:
            return Scope(found[0], f'host {host} matches {found[0]} rule /{found[1]}/')
        compact = "".join(normalize(ctx.name or "").split())
        if compact and compact in host.replace("-", "").replace(".", ""):
            return Scope("city", f"host {host} contains the city name")
    return Scope("unknown", "no name on the portal states who runs it")


def _city_variants(name: str | None) -> list[str]:
    """The name, plus its first part for hyphenated consolidations ("Nashville-Davidson" -> "Nashville")."""
    if not name:
        return []
    out = [name]
    head = re.split(r"[-–/]", name)[0].strip()
    if head != name and len(head) >= 4:
        out.append(head)
    return out


def _alternatives(values: Iterable[str | None]) -> str | None:
    norm = [normalize(v) for v in values if v and normalize(v)]
    return "(?:" + "|".join(re.escape(v) for v in sorted(set(norm), key=len, reverse=True)) + ")" if norm else None


def _fill(pattern: str, fills: dict[str, str | None]) -> str | None:
    """Substitute placeholders; a pattern whose placeholder is unknown for this context is skipped."""
    needed = set(re.findall(r"\{(\w+)\}", pattern))
    if any(fills.get(k) is None for k in needed):
        return None
    out = pattern
    for key in needed:
        out = out.replace("{" + key + "}", str(fills[key]))
    return out
