"""Official city websites from UScityURL, and choosing one website per city among its sources.

UScityURL (Cai, Huang & Decaminada, 2023; CC BY 4.0, https://github.com/caimeng2/UScityURL) lists
every U.S. incorporated place with whether it has an official website and its address, each entry
checked by hand by two researchers (collected September 2022). Its GEOID is the Census place GEOID
(``1600000US`` + state FIPS + place FIPS), so it joins the city universe on the code alone: no name
matching is needed. The file is fetched live from the dataset's repository at a pinned commit, through
the shared fetcher, so it is archived and replayed like every other input.

Three sources may give a city a website, in this order of precedence: the user's own city list
(``csv``), UScityURL (``uscityurl``), Wikidata (``wikidata``). ``website_candidates`` keeps every
candidate with its source and marks the cities whose sources disagree (different registrable
domains); ``settle_websites`` lets home-page fetches decide: the highest-precedence candidate that
answers wins, and a redirect to another registrable domain is recorded as a move. When none answers,
the candidate whose host looked most alive wins (``LIVENESS``), so an old address that no longer exists
does not beat the city's live site that merely keeps crawlers out.

Everything here is pure except ``uscityurl_websites`` (one fetch). No Dagster.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import urlsplit

import pandas as pd

from sources import geo
from sources.http.fetcher import Fetcher
from sources.http.urls import InvalidURL, normalize_url, pinned_github_file
from sources.portals.registries import city_site_domain, registrable_domain

# --------------------------------------------------------------------------------------------------
# UScityURL: where the file lives, and attribution

USCITYURL_REPO = "caimeng2/UScityURL"
#: The commit the project was checked against (2025-02); a setting may pin another one.
USCITYURL_COMMIT = "f533039e410c7a1bb757c01959530999760eea69"
#: Path of the CSV inside the repository.
USCITYURL_PATH = "UScityURL.csv"
USCITYURL_LICENSE = "CC BY 4.0"
USCITYURL_CITATION = ("UScityURL: official websites of U.S. incorporated places, hand-checked (Cai, Huang & "
                      "Decaminada, 2023), https://github.com/caimeng2/UScityURL, licensed CC BY 4.0")

def uscityurl_url(commit: str = USCITYURL_COMMIT, path: str = USCITYURL_PATH, repo: str = USCITYURL_REPO) -> str:
    """Raw URL of the CSV at a pinned commit (a hex SHA; see ``pinned_github_file``)."""
    return pinned_github_file(repo, commit, path, "UScityURL")


USCITYURL_URL = uscityurl_url()

USCITYURL_COLUMNS = ["geoid", "name", "state_abbr", "website_url", "available"]
_REQUIRED = ("GEOID", "MUNICIPALITY", "STATE", "WEBSITE_URL")
_GEOID = re.compile(r"(?:1600000US)?(\d{6,7})", re.IGNORECASE)


def uscityurl_websites(fetcher: Fetcher, *, commit: str = USCITYURL_COMMIT, path: str = USCITYURL_PATH,
                       url: str | None = None) -> tuple[pd.DataFrame, str]:
    """UScityURL's websites and the lookup status ("ok", the fetch outcome, or "malformed_response").

    Like the Wikidata lookup, a failure yields an empty frame and a status rather than an error: the
    other sources still give websites, and "unknown" must not read as "no website".
    """
    source = url or uscityurl_url(commit, path)
    result = fetcher.get(source)
    if not result.ok:
        return _empty_uscityurl(source), result.outcome.value
    try:
        frame = parse_uscityurl(result.body)
    except ValueError:
        return _empty_uscityurl(source), "malformed_response"
    frame.attrs["source_url"] = source
    return frame, "ok"


def parse_uscityurl(data: bytes) -> pd.DataFrame:
    """UScityURL's CSV -> one row per place: ``geoid`` (7-digit place GEOID), ``name``, ``state_abbr``,
    ``website_url`` (normalised, or None), ``available`` (the dataset's own 0/1 flag as a bool).

    Tolerates a BOM, CRLF, quoted fields, surrounding whitespace, header case, a GEOID without the
    ``1600000US`` prefix or with its leading zero lost, and URLs without a scheme. ``website_url`` is
    None when the place is flagged as having no website or its address is blank or unusable; a place
    flagged available without a usable address keeps ``available=True`` (it has a site, the list lacks
    its address). When the flag column is absent, ``available`` is whether an address is given.
    ``state_abbr`` comes from the GEOID's state code, the key everything joins on.

    Rows are kept in file order (by population); a repeated GEOID keeps its first row. Rows whose
    GEOID is not a place code of a state or DC are skipped; ``attrs["skipped_rows"]`` counts them.
    Raises ValueError when the bytes are not a UScityURL table (e.g. an HTML error page).
    """
    text = _decode(bytes(data))
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise ValueError("UScityURL file is empty")
    columns = {h.strip().lstrip("\ufeff").upper(): i for i, h in enumerate(header)}
    missing = [c for c in _REQUIRED if c not in columns]
    if missing:
        found = ", ".join(h.strip() for h in header[:8])
        raise ValueError(f"not a UScityURL table: no column(s) {', '.join(missing)} (header: {found})")

    rows: list[dict] = []
    seen: set[str] = set()
    skipped = 0
    for record in reader:
        if not any(cell.strip() for cell in record):
            continue
        cell = {name: (record[i].strip() if i < len(record) else "") for name, i in columns.items()}
        m = _GEOID.fullmatch(cell["GEOID"])
        geoid = m.group(1).zfill(7) if m else None
        state = geo.state_by_fips(geoid[:2]) if geoid else None
        if geoid is None or state is None or geoid in seen:
            skipped += 1
            continue
        seen.add(geoid)
        url = normalize_website(cell["WEBSITE_URL"])
        flag = _flag(cell.get("WEBSITE_AVAILABLE", ""))
        available = flag if flag is not None else url is not None
        rows.append({"geoid": geoid, "name": cell["MUNICIPALITY"] or None, "state_abbr": state.usps,
                     "website_url": url if available else None, "available": bool(available)})
    frame = pd.DataFrame(rows, columns=USCITYURL_COLUMNS)
    frame["available"] = frame["available"].astype(bool)
    frame.attrs["skipped_rows"] = skipped
    return frame


def normalize_website(value: object) -> str | None:
    """A website as the fetcher and archive key it (``sources.http.urls.normalize_url``), or None.

    Accepts what hand-made lists contain: surrounding whitespace, upper case, no scheme
    (``www.city.gov`` is read as ``http://www.city.gov/``; the fetch follows any redirect to https),
    a protocol-relative ``//host``. Keeps http vs https as given. Refuses blanks, placeholders, other
    schemes, user-info (``user@host``) and hosts without a dot.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip().strip("\"'").strip()
    if not text or any(ch.isspace() for ch in text):
        return None
    if text.startswith("//"):
        text = "http:" + text
    elif not re.match(r"(?i)^[a-z][a-z0-9+.-]*://", text):
        if re.match(r"(?i)^[a-z][a-z0-9+.-]*:(?!\d)", text):  # mailto:, javascript:, tel: ...
            return None
        text = "http://" + text
    try:
        if urlsplit(text).username is not None:
            return None
        url = normalize_url(text)
    except (InvalidURL, ValueError):
        return None
    host = urlsplit(url).hostname or ""
    if "." not in host or host.startswith(".") or ".." in host:
        return None
    return url


# --------------------------------------------------------------------------------------------------
# choosing among sources

#: Sources in order of precedence, best first.
PRECEDENCE = ("csv", "uscityurl", "wikidata")
CANDIDATE_COLUMNS = ["geoid", "source", "precedence", "url", "registrable_domain", "chosen", "disagreement"]
SETTLED_COLUMNS = CANDIDATE_COLUMNS + ["answered", "final_url", "final_domain", "moved", "winner", "settled_by"]
CITY_WEBSITE_COLUMNS = ["geoid", "website_url", "website_source", "website_candidates", "website_disagreement",
                        "website_settlement", "website_final_url", "website_moved"]
_URL_COLUMNS = ("url", "website_url", "website")

#: Why a city's website won, on the winner's row of ``settle_websites`` (``settled_by``): it answered
#: (the first by precedence that did); none answered and its host looked more alive than the
#: precedence choice's (``LIVENESS``); or precedence (nothing was fetched, or no candidate looked more
#: alive than the precedence choice).
SETTLED_BY = ("answered", "liveness", "precedence")

# How alive a candidate's host looks when its home page gave no usable answer; lower is more alive.
_SERVED = 1    # the server answered, we just could not use the page: the city's live site
_SILENT = 2    # the name resolves and something is there, but no page came back
_UNKNOWN = 3   # no evidence either way
_DEAD = 4      # the address is dead or wrong
_NOT_ASKED = 5  # not fetched: not in the contest (below)

#: Liveness of a fetch that did not answer, by outcome (``http_error`` split by status, ``_liveness_rank``).
#: Among the candidates of a city none of which answered, the liveliest wins and precedence breaks ties.
#: ``not_archived`` (a replay without a record) says nothing about the host, so it sits between the
#: evidence of life and the evidence of death: it loses to a host shown to be there, as it already loses
#: to one that answered, and beats an address shown to be dead, which is what precedence alone would have
#: done had that address come first. A candidate that was not fetched never beats one that was: the
#: home-page stage fetches a city's other candidates only where they name another domain, so an unfetched
#: one shares the domain of the fetched choice, and it has no home page row to stand on. The precedence
#: choice itself, when not fetched (never in a run: it is always fetched), counts as unknown.
LIVENESS: dict[str, int] = {
    "robots_disallowed": _SERVED,   # the server served its robots.txt, which keeps us out
    "too_large": _SERVED,           # the server sent a page, bigger than we read
    "carried": _SERVED,             # not asked this run; its last verified fetch answered
    "http_error": _SERVED,          # 5xx, 429, 401/403...: up but failing, busy or refusing
    "timeout": _SILENT,             # no answer in time: a slow or firewalled site, or an abandoned one
    "connection_error": _SILENT,    # refused, reset, TLS failure, truncated body
    "too_many_redirects": _SILENT,  # a redirect loop: something answers, misconfigured
    "not_archived": _UNKNOWN,
    "http_gone": _DEAD,             # 404/410 for the home page: the host no longer serves this address
    "dns_error": _DEAD,             # the name no longer resolves
    "blocked_address": _DEAD,       # the name points at a private address: not a public city site
    "invalid_url": _DEAD,           # not an address at all
    "not_fetched": _NOT_ASKED,
}
#: Statuses that say the home page is gone rather than failing (``http_gone`` above).
_GONE_STATUSES = frozenset({404, 410})
_SETTLEMENT = {"answered": "answered", "liveness": "unanswered_alive", "precedence": "unanswered"}


def website_candidates(sources: Mapping[str, pd.DataFrame | None],
                       precedence: tuple[str, ...] = PRECEDENCE) -> pd.DataFrame:
    """Every website candidate of every city, one row per (city, source, URL), best first per city.

    ``sources`` maps a source name of ``precedence`` to a frame with ``geoid`` and a URL column
    (``url``, ``website_url`` or ``website``, the first present), e.g. ``{"csv": user_rows,
    "uscityurl": parse_uscityurl(...), "wikidata": match_websites(...)}``; a missing or None frame
    contributes nothing. URLs are normalised (``normalize_website``); unusable ones are not
    candidates. Within a source, rows keep their order and a repeated URL counts once.

    ``registrable_domain`` is ``website_domain(url)`` (the public-suffix registrable domain, one label
    deeper under a state's .gov domain such as ca.gov). ``chosen`` marks the first candidate by
    precedence (one per city); ``disagreement`` marks every row of a city whose candidates span more
    than one such domain (``www.x.gov`` and ``x.gov/home`` agree; ``x.gov`` and ``x-city.org``
    disagree). Sorted by geoid then precedence.
    """
    unknown = [s for s in sources if s not in precedence]
    if unknown:
        raise ValueError(f"unknown website source(s) {', '.join(unknown)}; known: {', '.join(precedence)}")
    rows: list[dict] = []
    for rank, source in enumerate(precedence):
        frame = sources.get(source)
        if frame is None or frame.empty:
            continue
        if "geoid" not in frame.columns:
            raise ValueError(f"{source} websites have no geoid column")
        column = next((c for c in _URL_COLUMNS if c in frame.columns), None)
        if column is None:
            raise ValueError(f"{source} websites have no url/website_url/website column")
        seen: set[tuple[str, str]] = set()
        for geoid, raw in zip(frame["geoid"], frame[column], strict=True):
            url = normalize_website(raw)
            if url is None or geoid is None or (isinstance(geoid, float) and pd.isna(geoid)):
                continue
            key = (str(geoid), url)
            if key in seen:
                continue
            seen.add(key)
            rows.append({"geoid": str(geoid), "source": source, "precedence": rank, "url": url,
                         "registrable_domain": website_domain(url)})
    out = pd.DataFrame(rows, columns=CANDIDATE_COLUMNS[:5])
    if out.empty:
        return pd.DataFrame({c: pd.Series(dtype=_CANDIDATE_DTYPES[c]) for c in CANDIDATE_COLUMNS})
    out["_order"] = range(len(out))
    out = out.sort_values(["geoid", "precedence", "_order"], kind="stable").drop(columns="_order")
    out = out.reset_index(drop=True)
    out["chosen"] = ~out["geoid"].duplicated()
    domains = out["registrable_domain"].fillna(out["url"])
    out["disagreement"] = domains.groupby(out["geoid"]).transform("nunique") > 1
    out["precedence"] = out["precedence"].astype("int64")
    return out[CANDIDATE_COLUMNS]


def settle_websites(candidates: pd.DataFrame, fetches: pd.DataFrame | None) -> pd.DataFrame:
    """``candidates`` (from ``website_candidates``) plus what their home-page fetches said.

    ``fetches`` has ``url`` (the URL asked for), ``final_url`` (after redirects), either ``ok``
    (bool) or ``outcome`` (a fetch outcome value; ``ok`` and ``not_modified`` answered), and optionally
    ``status`` (the final HTTP status, which tells a 404 from a 503), e.g. the ``city_homepages`` frame
    or one built from FetchResults. URLs are matched after normalisation.

    Added columns: ``answered`` (True/False, <NA> when the URL was not fetched), ``final_url`` and
    ``final_domain`` (answered candidates only), ``moved`` (answered from another registrable domain
    than the candidate's: the site moved, or the address points at a redirect), ``winner`` (one per
    city): the highest-precedence candidate that answered; when none answered, the one whose host looked
    most alive (``LIVENESS``), precedence breaking ties, so with nothing fetched the precedence choice
    stands. ``settled_by`` says on the winner's row why it won (``SETTLED_BY``), None on the others.

    A hand-made ``fetches`` frame is read strictly where a guess would be wrong, and leniently where no
    data need be lost. ``ok`` must hold booleans (missing: not answered): text such as "False" raises
    ValueError, since read as truth it would say a dead address answered. A ``status`` that is not an HTTP
    status ("n/a", 9999) counts as unknown, like a missing one: the row's outcome still counts (an
    ``http_error`` of unknown status says nothing about the host), where refusing the frame would lose every
    city's settlement over one cell.
    """
    out = candidates.reset_index(drop=True).copy()
    outcomes = _fetch_outcomes(fetches)
    hits = [outcomes.get(url) for url in out["url"]]
    finals = [hit.final_url if hit is not None and hit.answered else None for hit in hits]
    out["answered"] = pd.array([pd.NA if hit is None else hit.answered for hit in hits], dtype="boolean")
    out["final_url"] = pd.Series(finals, index=out.index, dtype=object)
    out["final_domain"] = pd.Series([website_domain(u) if u else None for u in finals], index=out.index, dtype=object)
    out["moved"] = pd.Series([bool(f and d != c) for f, d, c in
                              zip(out["final_url"], out["final_domain"], out["registrable_domain"], strict=True)],
                             index=out.index, dtype=bool)
    # The precedence choice, when not fetched, is unknown rather than out of the contest: a candidate shown
    # alive beats it, one shown dead does not.
    liveness = pd.Series([_UNKNOWN if hit is None and chosen else _liveness_rank(hit)
                          for hit, chosen in zip(hits, out["chosen"].astype(bool), strict=True)],
                         index=out.index, dtype="int64")
    out["winner"] = _winners(out, liveness)
    out["settled_by"] = _settled_by(out)
    return out[SETTLED_COLUMNS]


def city_websites(settled: pd.DataFrame) -> pd.DataFrame:
    """One row per city from ``settle_websites`` (or ``website_candidates``): the winning website.

    ``website_settlement`` is ``answered`` (the winner answered), ``unanswered_alive`` (none answered,
    and the winner's host looked more alive than the precedence choice's: a site that keeps crawlers out
    beats an address that no longer exists), ``unanswered`` (candidates were fetched, none answered: the
    precedence choice stands) or ``not_fetched``; ``website_final_url`` is where the winner answered from
    and ``website_moved`` whether that is another registrable domain.
    """
    frame = settled if "winner" in settled.columns else settle_websites(settled, None)
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CITY_WEBSITE_COLUMNS})
    count = frame.groupby("geoid")["url"].transform("size")
    fetched = frame["answered"].notna().groupby(frame["geoid"]).transform("any")
    win = frame[frame["winner"]].assign(_n=count, _fetched=fetched)
    settlement = [_SETTLEMENT[by] if f else "not_fetched" for by, f in zip(win["settled_by"], win["_fetched"],
                                                                            strict=True)]
    out = pd.DataFrame({
        "geoid": win["geoid"].to_numpy(), "website_url": win["url"].to_numpy(),
        "website_source": win["source"].to_numpy(), "website_candidates": win["_n"].astype("int64").to_numpy(),
        "website_disagreement": win["disagreement"].astype(bool).to_numpy(),
        "website_settlement": settlement,
        "website_final_url": win["final_url"].to_numpy(), "website_moved": win["moved"].astype(bool).to_numpy()})
    return out.sort_values("geoid", kind="stable").reset_index(drop=True)[CITY_WEBSITE_COLUMNS]


def choose_websites(cities: pd.DataFrame, sources: Mapping[str, pd.DataFrame | None],
                    lookups: Mapping[str, str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(``cities`` with the chosen website, every candidate of those cities).

    ``cities`` is the output of ``wikidata.match_websites``; ``sources`` as for ``website_candidates``.
    ``website_url`` becomes the candidate of the best source; ``website_match`` names that source
    (``csv``, ``uscityurl``), or for Wikidata keeps how the item was matched (``fips``, ``name``), or is
    ``none``. ``website_lookup`` is ``ok`` when the city has a website or every source could be read;
    otherwise it names the sources that could not (``uscityurl: not_archived``), so a missing website
    reads as unknown rather than absent. ``lookups`` maps a source to its lookup status (missing: ok).
    """
    geoids = set(cities["geoid"].astype(str))
    mine = {name: (frame[frame["geoid"].astype(str).isin(geoids)] if frame is not None and len(frame) else None)
            for name, frame in sources.items()}
    candidates = website_candidates(mine)
    chosen = candidates[candidates["chosen"]].set_index("geoid")
    out = cities.copy()
    url = out["geoid"].astype(str).map(chosen["url"])
    source = out["geoid"].astype(str).map(chosen["source"])
    out["website_url"] = url.where(url.notna(), None).astype(object)
    via_wikidata = source.eq("wikidata")
    out["website_match"] = [m if wd else (s if isinstance(s, str) else "none")
                            for m, s, wd in zip(out["website_match"], source, via_wikidata, strict=True)]
    failed = "; ".join(f"{name}: {status}" for name, status in (lookups or {}).items() if status != "ok")
    out["website_lookup"] = ["ok" if isinstance(u, str) or not failed else failed for u in out["website_url"]]
    return out, candidates


# --------------------------------------------------------------------------------------------------
# internals

_CANDIDATE_DTYPES = {"geoid": object, "source": object, "precedence": "int64", "url": object,
                     "registrable_domain": object, "chosen": bool, "disagreement": bool}
_ANSWERED = {"ok", "not_modified"}


def _empty_uscityurl(source: str) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=bool if c == "available" else object) for c in USCITYURL_COLUMNS})
    frame.attrs["source_url"] = source
    return frame


def _decode(data: bytes) -> str:
    """UTF-8 (BOM or not) when valid, else Windows-1252/Latin-1 (spreadsheet exports)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def _flag(value: str) -> bool | None:
    """The WEBSITE_AVAILABLE flag: 1/0 (also "1.0", yes/no, true/false), None when blank or unreadable."""
    text = value.strip().casefold()
    if text in ("1", "1.0", "yes", "y", "true"):
        return True
    if text in ("0", "0.0", "no", "n", "false"):
        return False
    return None


def website_domain(url: str | None) -> str | None:
    """The domain two website candidates are compared on: ``city_site_domain`` of the host (one label
    deeper under a state's own .gov domain: ``www.ci.milpitas.ca.gov`` -> ``milpitas.ca.gov``), else its
    registrable domain (a state's own site), else the host."""
    if not url:
        return None
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if not host:
        return None
    return city_site_domain(host) or registrable_domain(host) or host


class _Fetch(NamedTuple):
    """What the home-page fetch of one candidate said."""

    answered: bool
    final_url: str | None
    outcome: str | None   # None when the fetches frame gave only ``ok``
    status: int | None


def _liveness_rank(fetch: _Fetch | None) -> int:
    """``LIVENESS`` of one candidate's fetch: 0 when it answered; unknown when only ``ok`` was given or
    for an ``http_error`` whose status is not known."""
    if fetch is None:
        return LIVENESS["not_fetched"]
    if fetch.answered:
        return 0
    key = fetch.outcome
    if key == "http_error":
        key = None if fetch.status is None else ("http_gone" if fetch.status in _GONE_STATUSES else key)
    return LIVENESS.get(key or "", _UNKNOWN)


def _winners(settled: pd.DataFrame, liveness: pd.Series) -> pd.Series:
    """One winner per city: the least liveness rank (answered is 0, so the first answering candidate by
    precedence wins when any did), then the precedence choice, then precedence and row order."""
    order = pd.DataFrame({"geoid": settled["geoid"], "rank": liveness,
                          "not_chosen": ~settled["chosen"].astype(bool), "precedence": settled["precedence"],
                          "row": range(len(settled))}, index=settled.index)
    best = order.sort_values(["geoid", "rank", "not_chosen", "precedence", "row"], kind="stable")
    first = best.index[~best["geoid"].duplicated()]
    return pd.Series(settled.index.isin(first), index=settled.index, dtype=bool)


def _settled_by(settled: pd.DataFrame) -> pd.Series:
    """``SETTLED_BY`` on each winner's row, None elsewhere."""
    reasons = [_reason(answered is True, bool(chosen)) if winner else None
               for answered, chosen, winner in zip(settled["answered"].astype(object), settled["chosen"],
                                                   settled["winner"], strict=True)]
    return pd.Series(reasons, index=settled.index, dtype=object)


def _reason(answered: bool, chosen: bool) -> str:
    """Why a winner won: it answered; or, none having answered, it is the precedence choice (nothing
    looked more alive) or it is not (its host looked more alive than the precedence choice's)."""
    if answered:
        return "answered"
    return "precedence" if chosen else "liveness"


def _fetch_outcomes(fetches: pd.DataFrame | None) -> dict[str, _Fetch]:
    """Normalised URL asked for -> what its fetch said; the last row of a URL wins."""
    if fetches is None or fetches.empty:
        return {}
    if "url" not in fetches.columns:
        raise ValueError("fetch outcomes have no url column")
    n = len(fetches)
    outcomes: list[str | None] = ([None if pd.isna(v) else str(v) for v in fetches["outcome"]]
                                  if "outcome" in fetches.columns else [None] * n)
    if "ok" in fetches.columns:
        ok = _answered_flags(fetches["ok"])
    elif "outcome" in fetches.columns:
        ok = [v in _ANSWERED for v in outcomes]
    else:
        raise ValueError("fetch outcomes need an ok or an outcome column")
    statuses = [_http_status(v) for v in fetches["status"]] if "status" in fetches.columns else [None] * n
    finals = fetches["final_url"] if "final_url" in fetches.columns else fetches["url"]
    result: dict[str, _Fetch] = {}
    for url, answered, final, outcome, status in zip(fetches["url"], ok, finals, outcomes, statuses, strict=True):
        key = normalize_website(url)
        if key is None:
            continue
        final_url = normalize_website(final) if isinstance(final, str) else None
        result[key] = _Fetch(answered, final_url or key, outcome, status)
    return result


def _missing(value: object) -> bool:
    return pd.api.types.is_scalar(value) and bool(pd.isna(value))


def _answered_flags(column: pd.Series) -> list[bool]:
    """The ``ok`` column as one bool per row, a missing value as not answered. Only booleans are read: text
    such as "True"/"False" (a frame read from a CSV without types) is refused, because any non-empty text is
    true and "False" would say a dead address answered; reading spellings instead would be one more guess
    (yes, 1, T...) where the caller's fix is one line."""
    if not pd.api.types.is_bool_dtype(column.dtype):   # bool and pandas' boolean pass as they are
        wrong = [v for v in column if not (pd.api.types.is_bool(v) or _missing(v))]
        if wrong:
            raise ValueError(f"fetch outcomes: the ok column must be boolean (bool, or pandas' boolean dtype), "
                             f"got {column.dtype} holding {wrong[0]!r}; convert it, e.g. "
                             "ok.map({'True': True, 'False': False}), or give an outcome column instead")
    return [False if _missing(v) else bool(v) for v in column]


def _http_status(value: object) -> int | None:
    """An HTTP status (100-599) from a cell of the ``status`` column, given as a number or as its digits
    ("404", "404.0"); anything else ("n/a", 4.5, 9999, missing) is None, an unknown status (see
    ``settle_websites``)."""
    if isinstance(value, bool) or _missing(value) or not pd.api.types.is_scalar(value):
        return None
    try:
        number = float(str(value).strip())   # numbers and numpy scalars print as their digits
    except (TypeError, ValueError, OverflowError):
        return None
    return int(number) if number.is_integer() and 100 <= number <= 599 else None
