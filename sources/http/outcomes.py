"""Outcome classes for every HTTP exchange.

A fetch never raises for anything the remote side does: it ends in exactly one of these classes, so
downstream code can tell "the city has no such page" (an ``http_error`` 404 on a reachable host) from
"we could not look" (``timeout``, ``connection_error``, ``robots_disallowed``...). Unreachable is never
absent.
"""

from __future__ import annotations

import enum


class Outcome(enum.StrEnum):
    OK = "ok"                                # 2xx, body complete
    NOT_MODIFIED = "not_modified"            # 304 on a conditional GET; body reused from the cache
    HTTP_ERROR = "http_error"                # final 4xx/5xx after retries
    TIMEOUT = "timeout"                      # connect or read timeout after retries
    CONNECTION_ERROR = "connection_error"    # refused, reset, TLS failure, truncated body...
    DNS_ERROR = "dns_error"                  # host name does not resolve
    ROBOTS_DISALLOWED = "robots_disallowed"  # robots.txt forbids the URL for our user agent
    BLOCKED_ADDRESS = "blocked_address"      # host resolves to a private/loopback/reserved address
    TOO_LARGE = "too_large"                  # body exceeded the size cap; truncated, not used
    TOO_MANY_REDIRECTS = "too_many_redirects"  # redirect limit hit or a redirect loop
    INVALID_URL = "invalid_url"              # unparsable URL or unsupported scheme
    NOT_ARCHIVED = "not_archived"            # replay mode: the archive has no record for this request
    #: Not asked this run: the revisit policy (sources/http/revisit.py) judged the page unlikely to have
    #: changed, so the body of its last verified fetch is carried forward with that fetch's date.
    CARRIED = "carried"

    @property
    def reachable(self) -> bool:
        """True when the remote side answered, so a missing page means missing, not unknown."""
        return self in (Outcome.OK, Outcome.NOT_MODIFIED, Outcome.HTTP_ERROR, Outcome.CARRIED)

    @property
    def has_body(self) -> bool:
        return self in (Outcome.OK, Outcome.NOT_MODIFIED, Outcome.CARRIED)


#: Outcomes that say nothing about whether the resource exists ("unreachable", not "absent").
UNREACHABLE = frozenset(o for o in Outcome if not o.reachable)
