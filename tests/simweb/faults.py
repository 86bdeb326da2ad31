"""Fault injection for the simulated web: which host (and path) misbehaves, and how.

A ``FaultPlan`` is an ordered list of rules ``(host pattern, path glob) -> Fault``; the first rule
that applies to a request wins. robots.txt is special on purpose: the two ``robots_*`` kinds only
ever touch ``/robots.txt``, and other kinds leave it alone unless the rule names ``/robots.txt``
exactly, so a page fault shows up as its own outcome instead of as "robots unavailable".

DNS failure is not a server fault: give a city a ``.invalid`` website
(``build_population(..., unresolvable=k)``) and the resolve map leaves it to real DNS.
"""

from __future__ import annotations

import fnmatch
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.simweb.population import Population

#: Every kind with its parameters and their defaults.
FAULT_PARAMS: dict[str, dict[str, Any]] = {
    "timeout": {"seconds": 30.0},                       # sleep (interruptible by stop), then answer
    "http_500": {},
    "http_404": {},
    "http_503_then_ok": {"n": 1, "retry_after": None},  # first n requests per path fail
    "http_429": {"n": 1, "retry_after": 1},             # Retry-After in seconds
    "malformed_json": {"keep": 0.6},                    # the real body cut to this share
    "malformed_html": {},
    "truncated": {"declared": 100_000, "sent": 1_000},  # Content-Length > bytes sent, then close
    "huge": {"size_mb": 50.0, "content_length": True},  # streamed filler; chunked when no length
    "gzip_bomb": {"size_mb": 100},                      # gzip body inflating to size_mb MiB of zeros
    "redirect_loop": {},                                # A -> B -> A
    "redirect_private": {"target": "http://10.0.0.7/admin"},   # or http://169.254.169.254/latest/meta-data/
    "redirect_chain": {"hops": 3},                      # n redirects, then the page
    "robots_disallow": {},                              # robots.txt: Disallow: / for every agent
    "robots_5xx": {},                                   # robots.txt answers 503
    "bad_encoding": {},                                 # says charset=utf-8, sends Latin-1 and invalid bytes
    "empty_catalog": {},                                # portal APIs report zero datasets
    "slow_body": {"interval": 0.2, "size": 200},        # one byte every interval seconds
}

#: The fetcher outcome each kind should end in (for the project's own fetcher tests).
FAULT_OUTCOMES = {
    "timeout": "timeout",
    "http_500": "http_error",
    "http_404": "http_error",
    "http_503_then_ok": "ok",
    "http_429": "ok",
    "malformed_json": "ok",         # transport fine; parsers must flag it
    "malformed_html": "ok",
    "truncated": "connection_error",
    "huge": "too_large",
    "gzip_bomb": "too_large",
    "redirect_loop": "too_many_redirects",
    "redirect_private": "blocked_address",
    "redirect_chain": "ok",
    "robots_disallow": "robots_disallowed",
    "robots_5xx": "robots_disallowed",
    "bad_encoding": "ok",
    "empty_catalog": "ok",
    "slow_body": "timeout",
}
ROBOTS_KINDS = frozenset({"robots_disallow", "robots_5xx"})
#: Kinds that only make sense on a portal API; ``FaultPlan.random`` puts them on the portal host.
CATALOG_KINDS = frozenset({"empty_catalog", "malformed_json"})
ROBOTS_PATH = "/robots.txt"


@dataclass(frozen=True)
class Fault:
    """One kind of misbehaviour with its parameters (defaults filled in, unknown names refused)."""

    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_PARAMS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(FAULT_PARAMS)}")
        unknown = set(self.params) - set(FAULT_PARAMS[self.kind])
        if unknown:
            raise ValueError(f"fault {self.kind!r} has no parameter(s) {', '.join(sorted(unknown))}; "
                             f"it takes: {', '.join(FAULT_PARAMS[self.kind]) or 'none'}")
        object.__setattr__(self, "params", {**FAULT_PARAMS[self.kind], **self.params})

    def __getitem__(self, name: str) -> Any:
        return self.params[name]


@dataclass(frozen=True)
class Rule:
    host: str      # exact host or fnmatch pattern, lower case
    path: str      # fnmatch glob on the URL path (query excluded)
    fault: Fault

    def applies(self, host: str, path: str) -> bool:
        if not fnmatch.fnmatchcase(host, self.host) or not fnmatch.fnmatchcase(path, self.path):
            return False
        if self.fault.kind in ROBOTS_KINDS:
            return path == ROBOTS_PATH
        return path != ROBOTS_PATH or self.path == ROBOTS_PATH


@dataclass
class FaultPlan:
    """Which requests misbehave; first matching rule wins."""

    rules: list[Rule] = field(default_factory=list)

    def add(self, host: str, kind: str, path: str = "*", **params: Any) -> FaultPlan:
        """Add a rule and return the plan, so rules chain: ``FaultPlan().add(...).add(...)``."""
        self.rules.append(Rule(host.lower(), path, Fault(kind, params)))
        return self

    def match(self, host: str, path: str) -> Rule | None:
        return next((r for r in self.rules if r.applies(host, path)), None)

    def find(self, host: str, path: str) -> Fault | None:
        rule = self.match(host, path)
        return rule.fault if rule else None

    @classmethod
    def from_mapping(cls, mapping: Mapping[str | tuple[str, str], str | tuple[str, Mapping[str, Any]]]) -> FaultPlan:
        """``{host: kind, (host, path glob): (kind, {param: value})}`` -> plan, in mapping order."""
        plan = cls()
        for key, value in mapping.items():
            host, path = (key, "*") if isinstance(key, str) else key
            kind, params = (value, {}) if isinstance(value, str) else value
            plan.add(host, kind, path=path, **dict(params))
        return plan

    @classmethod
    def random(cls, population: Population, kinds: Sequence[str], share: float, seed: int = 7) -> FaultPlan:
        """Give a deterministic ``share`` of the cities with a website one fault each, cycling ``kinds``.

        Robots kinds target ``/robots.txt``; catalog kinds target the city's portal host when it has
        one; every other kind covers the whole website.
        """
        for kind in kinds:
            Fault(kind)
        rng = random.Random(seed)
        cities = sorted((c for c in population.cities if c.website_host), key=lambda c: c.website_host or "")
        chosen = sorted(rng.sample(cities, int(len(cities) * share)), key=lambda c: c.website_host or "")
        plan = cls()
        for i, city in enumerate(chosen):
            kind = kinds[i % len(kinds)]
            host = city.portal_host if kind in CATALOG_KINDS and city.portal_host else city.website_host
            plan.add(host or "", kind, path=ROBOTS_PATH if kind in ROBOTS_KINDS else "*")
        return plan
