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
answers wins, and a redirect to another registrable domain is recorded as a move.

Everything here is pure except ``uscityurl_websites`` (one fetch). No Dagster.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
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
SETTLED_COLUMNS = CANDIDATE_COLUMNS + ["answered", "final_url", "final_domain", "moved", "winner"]
CITY_WEBSITE_COLUMNS = ["geoid", "website_url", "website_source", "website_candidates", "website_disagreement",
                        "website_settlement", "website_final_url", "website_moved"]
_URL_COLUMNS = ("url", "website_url", "website")


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

    ``fetches`` has ``url`` (the URL asked for), ``final_url`` (after redirects) and either ``ok``
    (bool) or ``outcome`` (a fetch outcome value; ``ok`` and ``not_modified`` answered), e.g. the
    ``city_homepages`` frame or one built from FetchResults. URLs are matched after normalisation.

    Added columns: ``answered`` (True/False, <NA> when the URL was not fetched), ``final_url`` and
    ``final_domain`` (answered candidates only), ``moved`` (answered from another registrable domain
    than the candidate's: the site moved, or the address points at a redirect), ``winner`` (one per
    city): the highest-precedence candidate that answered; when none answered, or none was fetched,
    the precedence choice stands.
    """
    out = candidates.reset_index(drop=True).copy()
    outcomes = _fetch_outcomes(fetches)
    answered, finals = [], []
    for url in out["url"]:
        hit = outcomes.get(url)
        answered.append(pd.NA if hit is None else hit[0])
        finals.append(hit[1] if hit is not None and hit[0] else None)
    out["answered"] = pd.array(answered, dtype="boolean")
    out["final_url"] = pd.Series(finals, index=out.index, dtype=object)
    out["final_domain"] = pd.Series([website_domain(u) if u else None for u in finals], index=out.index, dtype=object)
    out["moved"] = pd.Series([bool(f and d != c) for f, d, c in
                              zip(out["final_url"], out["final_domain"], out["registrable_domain"], strict=True)],
                             index=out.index, dtype=bool)
    ok = out["answered"].fillna(False).astype(bool)
    any_ok = ok.groupby(out["geoid"]).transform("any")
    first_ok = ok & ~(ok.groupby(out["geoid"]).cumsum().gt(1))
    out["winner"] = (any_ok & first_ok) | (~any_ok & out["chosen"].astype(bool))
    return out[SETTLED_COLUMNS]


def city_websites(settled: pd.DataFrame) -> pd.DataFrame:
    """One row per city from ``settle_websites`` (or ``website_candidates``): the winning website.

    ``website_settlement`` is ``answered`` (the winner answered), ``unanswered`` (candidates were
    fetched, none answered: the precedence choice stands) or ``not_fetched``; ``website_final_url``
    is where the winner answered from and ``website_moved`` whether that is another registrable domain.
    """
    frame = settled if "winner" in settled.columns else settle_websites(settled, None)
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CITY_WEBSITE_COLUMNS})
    count = frame.groupby("geoid")["url"].transform("size")
    fetched = frame["answered"].notna().groupby(frame["geoid"]).transform("any")
    win = frame[frame["winner"]].assign(_n=count, _fetched=fetched)
    settlement = [("answered" if a is True else "unanswered") if f else "not_fetched"
                  for a, f in zip(win["answered"].astype(object), win["_fetched"], strict=True)]
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


def _fetch_outcomes(fetches: pd.DataFrame | None) -> dict[str, tuple[bool, str | None]]:
    """Normalised URL asked for -> (answered, normalised final URL); the last row of a URL wins."""
    if fetches is None or fetches.empty:
        return {}
    if "url" not in fetches.columns:
        raise ValueError("fetch outcomes have no url column")
    if "ok" in fetches.columns:
        ok = [bool(v) if not pd.isna(v) else False for v in fetches["ok"]]
    elif "outcome" in fetches.columns:
        ok = [str(v) in _ANSWERED for v in fetches["outcome"]]
    else:
        raise ValueError("fetch outcomes need an ok or an outcome column")
    finals = fetches["final_url"] if "final_url" in fetches.columns else fetches["url"]
    result: dict[str, tuple[bool, str | None]] = {}
    for url, answered, final in zip(fetches["url"], ok, finals, strict=True):
        key = normalize_website(url)
        if key is None:
            continue
        final_url = normalize_website(final) if isinstance(final, str) else None
        result[key] = (answered, final_url or key)
    return result
