"""Which warehouse URLs may become links.

URLs in the warehouse come from crawled pages and portal metadata, so a `javascript:` or `data:` URL is
possible. Only absolute http(s) URLs with a host are emitted as href; anything else is shown as text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

SAFE_SCHEMES = frozenset({"http", "https"})
# Browsers drop tabs and newlines inside URLs ("java\tscript:"), and urlsplit may not on every Python
# version: refuse control characters instead of relying on either.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@lru_cache(maxsize=65536)
def _check(text: str) -> str | None:
    text = text.strip()
    if not text or CONTROL.search(text):
        return None
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return None
    return text if parts.scheme.lower() in SAFE_SCHEMES and host else None


def safe_href(url: object) -> str | None:
    """The URL if a browser would open it as an ordinary http(s) page, else None.

    Cached: the same evidence source is cited by many criteria of a city.
    """
    return _check(url) if isinstance(url, str) else None
