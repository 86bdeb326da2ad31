"""URL normalization shared by archiving and replay, so a recorded URL is found again."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidURL(ValueError):
    pass


@lru_cache(maxsize=16_384)
def normalize_url(url: str) -> str:
    """Lower-case scheme and host, drop default port and fragment, give an empty path '/'.

    Query strings are kept byte-for-byte: our clients build them deterministically, and reordering
    would make two different API calls collide in the archive.

    Cached: a crawl asks for the same few URLs over and over (each page's menu links are every other
    page's too): the sample run asked 64,705 times for 5,199 URLs, 0.2 s of work. 16,384 entries stay
    within a few MB; an unparsable URL raises every time (exceptions are not cached).
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


_COMMIT = re.compile(r"[0-9a-f]{7,40}")


def pinned_github_file(repo: str, commit: str, path: str, what: str = "file") -> str:
    """Raw URL of one file of a public GitHub repository at one commit
    (``https://raw.githubusercontent.com/<repo>/<commit>/<path>``).

    The commit must be a (possibly abbreviated) hex SHA, never a branch name: a moving branch would make
    two runs with the same settings read different data, and a replay would not find the URL again.
    ``what`` names the data in error messages.
    """
    commit = str(commit).strip().lower()
    if not _COMMIT.fullmatch(commit):
        raise ValueError(f"{what} commit must be a hex commit SHA (7-40 digits), not {commit!r}")
    path = str(path).strip().lstrip("/")
    if not path or any(part in ("", ".", "..") for part in path.split("/")):
        raise ValueError(f"{what} path {path!r} is not a file path inside the repository")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repo):
        raise ValueError(f"{what} repository must be owner/name, not {repo!r}")
    return f"https://raw.githubusercontent.com/{repo}/{commit}/{quote(path)}"
