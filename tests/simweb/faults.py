"""Fault injection for the simulated web: which host (and path) misbehaves, and how."""

from __future__ import annotations

import fnmatch
import random
from dataclasses import dataclass, field

#: Every kind the server knows, with the fetcher outcome it should end in.
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


@dataclass(frozen=True)
class Fault:
    kind: str
    params: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_OUTCOMES:
            raise ValueError(f"unknown fault kind {self.kind!r}")


@dataclass
class FaultPlan:
    rules: list[tuple[str, str, Fault]] = field(default_factory=list)   # (host, path glob, fault)

    def add(self, host: str, kind: str, path: str = "*", **params) -> FaultPlan:
        self.rules.append((host.lower(), path, Fault(kind, params)))
        return self

    def find(self, host: str, path: str) -> Fault | None:
        for h, pattern, fault in self.rules:
            if h == host and fnmatch.fnmatchcase(path, pattern):
                return fault
        return None

    @classmethod
    def random(cls, population, kinds: list[str], share: float, seed: int = 7) -> FaultPlan:
        """Give a deterministic share of city websites one fault each, cycling through ``kinds``."""
        rng = random.Random(seed)
        hosts = sorted(c.website_host for c in population.cities if c.website_host)
        chosen = sorted(rng.sample(hosts, int(len(hosts) * share)))
        plan = cls()
        for i, host in enumerate(chosen):
            kind = kinds[i % len(kinds)]
            path = "/robots.txt" if kind in ("robots_5xx",) else "*"
            plan.add(host, kind, path=path if kind != "robots_disallow" else "/robots.txt")
        return plan
