"""URL normalization shared by archiving and replay, so a recorded URL is found again."""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidURL(ValueError):
    pass


def normalize_url(url: str) -> str:
    """Lower-case scheme and host, drop default port and fragment, give an empty path '/'.

    Query strings are kept byte-for-byte: our clients build them deterministically, and reordering
    would make two different API calls collide in the archive.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"unparsable URL {url!r}: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidURL(f"unsupported scheme in {url!r}")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InvalidURL(f"no host in {url!r}")
    try:
        host = host.encode("idna").decode("ascii").lower() if not host.isascii() else host.lower()
    except UnicodeError as exc:
        raise InvalidURL(f"bad host name in {url!r}") from exc
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, _ascii(parts.path) or "/", _ascii(parts.query), ""))


def _ascii(text: str) -> str:
    """Percent-encode (as UTF-8) what a request line cannot carry: non-ASCII, spaces and control bytes.
    Everything else is kept as written, so URLs that were already ASCII never change."""
    if text.isascii() and all(0x20 < ord(c) < 0x7F for c in text):
        return text
    return "".join(c if 0x20 < ord(c) < 0x7F else quote(c, safe="") for c in text)


def host_of(url: str) -> str:
    """Host name without brackets or port; the politeness and robots key."""
    return (urlsplit(url).hostname or "").lower()


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
