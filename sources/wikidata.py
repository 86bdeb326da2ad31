"""Official city websites from Wikidata: the SPARQL query, its JSON answer -> frame, and matching.

Wikidata links places to their FIPS 55-3 code (P774), which for an incorporated place *is* the Census
GEOID, so most cities are matched on the code alone. Name matching is only a fallback, restricted to
items that carry no FIPS code at all (an item with another code is by definition another place) and
to unambiguous names within one state; a wrong website is worse than none, because everything
downstream (home page, crawl, score) would then describe the wrong government.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import pandas as pd

from sources import geo

SPARQL_ENDPOINT = "https://query.wikidata.org/sparql"
SPARQL_HEADERS = {"Accept": "application/sparql-results+json"}

# Items with a FIPS 55-3 code (P774; website optional so that "no website" is known, not guessed),
# plus items typed as U.S. municipalities that have an official website (P856) but no FIPS code:
# city in the United States (Q1093829), town in the United States (Q15127012), New England town
# (Q2154459), consolidated city-county (Q3301053), independent city (Q1266818), municipality of the
# United States (Q3327870). The state is the ISO 3166-2 code (P300, "US-XX") of the item's
# administrative parent or grandparent (P131, one or two levels: Virginia's independent cities sit
# directly in the state, most cities in a county). Direct P31 values only (no P279* closure) and
# fixed-length paths keep the query within the service's 60 s limit for the whole country.
CITY_WEBSITES_QUERY = """\
SELECT DISTINCT ?item ?itemLabel ?fips ?website ?stateIso WHERE {
  {
    ?item wdt:P774 ?fips .
    OPTIONAL { ?item wdt:P856 ?website . }
  }
  UNION
  {
    VALUES ?class { wd:Q1093829 wd:Q15127012 wd:Q2154459 wd:Q3301053 wd:Q1266818 wd:Q3327870 }
    ?item wdt:P31 ?class ;
          wdt:P856 ?website .
    FILTER NOT EXISTS { ?item wdt:P774 ?anyFips . }
  }
  OPTIONAL {
    ?item wdt:P131/wdt:P131? ?state .
    ?state wdt:P300 ?stateIso .
    FILTER(STRSTARTS(?stateIso, "US-"))
  }
  SERVICE wikibase:label { bd:serviceParam wikibase:language "en". }
}
"""

QUERY_VARS = ("item", "itemLabel", "fips", "website", "stateIso")
WEBSITE_COLUMNS = ["qid", "label", "fips7", "website", "state_abbr"]
MATCH_COLUMNS = ["website_url", "wikidata_qid", "website_match", "website_candidates"]

_QID = re.compile(r"Q[1-9]\d*")
_NAME_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort"}
_LABEL_PREFIXES = ("city of ", "town of ", "village of ", "borough of ")


def sparql_url(query: str) -> str:
    """GET URL of a query on the Wikidata Query Service, asking for the SPARQL JSON results format.

    GET (not POST) so the request is cacheable and archived/replayed like any other page.
    """
    return f"{SPARQL_ENDPOINT}?{urlencode({'query': query, 'format': 'json'})}"


def normalize_fips(value: str | None, state_abbr: str | None = None) -> str | None:
    """A P774 value as the 7-digit GEOID, or None when it cannot be one.

    Wikidata stores both "06-44000" and "0644000". A bare 5-digit place code is completed with the
    item's state when that is known (place codes are unique within a state); anything else is
    rejected rather than guessed.
    """
    if value is None:
        return None
    code = re.sub(r"\s+", "", str(value))
    if m := re.fullmatch(r"(\d{1,2})-(\d{5})", code):
        code = m.group(1).zfill(2) + m.group(2)
    elif re.fullmatch(r"\d{5}", code):
        state = geo.state_by_usps(state_abbr, include_territories=True)
        if state is None:
            return None
        code = state.fips + code
    if not re.fullmatch(r"\d{7}", code) or geo.state_by_fips(code[:2], include_territories=True) is None:
        return None
    return code


def parse_sparql_websites(data: bytes) -> pd.DataFrame:
    """One row per (item, FIPS code, website, state) from a WDQS answer to ``CITY_WEBSITES_QUERY``.

    Raises ValueError when the body is not a SPARQL JSON SELECT result (WDQS answers timeouts and
    throttling with HTML or a Java stack trace, sometimes with status 200), so the caller can report
    "lookup failed" rather than "no city has a website".
    """
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        snippet = bytes(data[:80]).decode("utf-8", "replace").strip()
        raise ValueError(f"Wikidata SPARQL response is not JSON ({exc}); starts with {snippet!r}") from exc
    bindings = doc.get("results", {}).get("bindings") if isinstance(doc, dict) else None
    if not isinstance(bindings, list) or not isinstance(doc.get("results"), dict):
        raise ValueError("Wikidata SPARQL response is not a SELECT result: no results.bindings list")
    head_vars = doc.get("head", {}).get("vars") if isinstance(doc.get("head"), dict) else None
    if isinstance(head_vars, list):
        missing = [v for v in QUERY_VARS if v not in head_vars]
        if missing:
            raise ValueError(f"Wikidata SPARQL response lacks variable(s) {', '.join(missing)}; "
                             "was it produced by CITY_WEBSITES_QUERY?")
    rows = []
    for binding in bindings:
        if not isinstance(binding, dict):
            raise ValueError("Wikidata SPARQL response has a binding that is not an object")
        qid = _value(binding, "item")
        qid = qid.rstrip("/").rsplit("/", 1)[-1] if qid else None
        if not qid or not _QID.fullmatch(qid):
            continue
        label = _value(binding, "itemLabel")
        iso = _value(binding, "stateIso")
        state = iso[3:].upper() if iso and iso.upper().startswith("US-") else None
        if geo.state_by_usps(state, include_territories=True) is None:
            state = None
        rows.append({"qid": qid, "label": None if label in (None, "", qid) else label,
                     "fips7": normalize_fips(_value(binding, "fips"), state),
                     "website": _http_url(_value(binding, "website")), "state_abbr": state})
    return _tidy_websites(pd.DataFrame(rows, columns=WEBSITE_COLUMNS))


def normalize_name(name: str | None) -> str:
    """Comparison key for place names: accents, case, punctuation and St./Saint differences removed.

    "St. Cloud" == "Saint Cloud", "Cañon City" == "Canon City", "Coeur d'Alene" == "Coeur D'Alene",
    "Winston-Salem" == "Winston Salem".
    """
    if not name:
        return ""
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("&", " and ")
    text = re.sub(r"['\u2019`.]", "", text)
    words = re.sub(r"[^0-9a-z]+", " ", text).split()
    return " ".join(_NAME_ABBREVIATIONS.get(w, w) for w in words)


def match_websites(cities: pd.DataFrame, wd: pd.DataFrame) -> pd.DataFrame:
    """``cities`` plus ``website_url``, ``wikidata_qid``, ``website_match``, ``website_candidates``.

    1. FIPS: items whose P774 equals the city's GEOID. An item whose codes hit two cities of the
       universe is discarded (it cannot be both).
    2. Name, only for cities without a FIPS item: items with no FIPS code, in the same state, with the
       same normalized name. Accepted only when exactly one item fits the city and that item fits no
       other city (names shared by two cities of a state, or by two items, match nothing).
       Consolidated governments ("Nashville-Davidson", "Louisville/Jefferson County") also try the
       part before the first "-" or "/" ("Nashville"), after the full name failed.
    3. Among several websites, the choice is deterministic: https first, then .gov/.us hosts, then the
       shortest URL, then lexical order. ``website_candidates`` counts the distinct websites seen
       (for an ambiguous name: those of all tied items, none chosen).

    ``website_match`` is "fips" or "name" when a website was chosen, else "none"; ``wikidata_qid`` is
    set whenever an item was matched, even one without a website (known to have none listed).
    """
    if "geoid" not in cities.columns:
        raise ValueError("cities frame has no geoid column")
    out = cities.copy()
    items = _index_items(wd)
    geoids = [str(g) for g in out["geoid"]]
    results: dict[str, tuple[str | None, str | None, str, int]] = {}

    # 1. FIPS
    universe = set(geoids)
    claims: dict[str, set[str]] = {}
    for item in items.values():
        for code in item.fips & universe:
            claims.setdefault(item.qid, set()).add(code)
    by_geoid: dict[str, list[_Item]] = {}
    for qid, codes in claims.items():
        if len(codes) == 1:
            by_geoid.setdefault(next(iter(codes)), []).append(items[qid])
    for geoid, matched in by_geoid.items():
        results[geoid] = _choose(matched, "fips")

    # 2. names, full name first, then the consolidated-government alias
    names = out["name"] if "name" in out.columns else pd.Series([None] * len(out), index=out.index)
    legal = out["legal_name"] if "legal_name" in out.columns else names
    states = out["state_abbr"] if "state_abbr" in out.columns else pd.Series([None] * len(out), index=out.index)
    keys: dict[str, list[tuple[str, str]]] = {}
    for geoid, name, legal_name, state in zip(geoids, names, legal, states, strict=True):
        state = str(state).upper() if isinstance(state, str) else None
        if not state or not isinstance(name, str):
            continue
        city_keys = [(state, normalize_name(name))]
        alias = _alias(name, legal_name if isinstance(legal_name, str) else name)
        if alias:
            city_keys.append((state, normalize_name(alias)))
        keys[geoid] = [k for k in city_keys if k[1]]
    cities_by_key: dict[tuple[str, str], set[str]] = {}
    for geoid, city_keys in keys.items():
        for key in city_keys:
            cities_by_key.setdefault(key, set()).add(geoid)
    items_by_key: dict[tuple[str, str], set[str]] = {}
    for item in items.values():
        if item.fips or not item.label:
            continue
        for state in item.states:
            items_by_key.setdefault((state, _label_key(item.label, state)), set()).add(item.qid)

    used = {r[1] for r in results.values() if r[1]}
    tied: dict[str, set[str]] = {}  # geoid -> items that fit but could not be told apart
    for pass_index in (0, 1):
        proposals: dict[str, set[str]] = {}  # geoid -> candidate items
        for geoid, city_keys in keys.items():
            if geoid in results or len(city_keys) <= pass_index:
                continue
            key = city_keys[pass_index]
            if len(cities_by_key.get(key, ())) != 1:
                continue
            candidates = items_by_key.get(key, set()) - used
            if candidates:
                proposals[geoid] = candidates
        wanted: dict[str, int] = {}
        for candidates in proposals.values():
            for qid in candidates:
                wanted[qid] = wanted.get(qid, 0) + 1
        for geoid, candidates in sorted(proposals.items()):
            if len(candidates) == 1 and wanted[next(iter(candidates))] == 1:
                results[geoid] = _choose([items[next(iter(candidates))]], "name")
                used.add(next(iter(candidates)))
                tied.pop(geoid, None)
            else:
                tied.setdefault(geoid, set()).update(candidates)
    for geoid, candidates in tied.items():
        sites = {s for q in candidates for s in items[q].websites}
        results[geoid] = (None, None, "none", len(_distinct(sites)))

    none = (None, None, "none", 0)
    picked = [results.get(g, none) for g in geoids]
    out["website_url"] = pd.Series([p[0] for p in picked], index=out.index, dtype=object)
    out["wikidata_qid"] = pd.Series([p[1] for p in picked], index=out.index, dtype=object)
    out["website_match"] = pd.Series([p[2] for p in picked], index=out.index, dtype=object)
    out["website_candidates"] = pd.Series([p[3] for p in picked], index=out.index, dtype="int64")
    return out


# --------------------------------------------------------------------------------------------------
# internals


@dataclass
class _Item:
    qid: str
    label: str | None = None
    fips: set[str] = field(default_factory=set)
    websites: set[str] = field(default_factory=set)
    states: set[str] = field(default_factory=set)


def _value(binding: dict, var: str) -> str | None:
    cell = binding.get(var)
    if not isinstance(cell, dict):
        return None
    value = cell.get("value")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _http_url(value: str | None) -> str | None:
    """Only absolute http(s) URLs with a host are websites the fetcher can use."""
    if not value:
        return None
    parts = urlsplit(value)
    return value if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def _qid_number(qid: str) -> int:
    return int(qid[1:]) if _QID.fullmatch(qid) else 0


def _tidy_websites(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop rows made redundant by OPTIONAL joins and order rows so equal answers give equal frames."""
    if frame.empty:
        return pd.DataFrame(columns=WEBSITE_COLUMNS, dtype=object)
    for column in ("fips7", "website", "state_abbr"):
        has = frame.groupby("qid")[column].transform("count") > 0  # count() skips nulls
        frame = frame[frame[column].notna() | ~has]
    frame = frame.drop_duplicates(subset=["qid", "fips7", "website", "state_abbr"])
    order = frame.assign(_n=frame["qid"].map(_qid_number), _f=frame["fips7"].fillna(""),
                         _w=frame["website"].fillna(""), _s=frame["state_abbr"].fillna(""))
    order = order.sort_values(["_n", "_f", "_w", "_s"], kind="stable")
    return order[WEBSITE_COLUMNS].astype(object).where(order[WEBSITE_COLUMNS].notna(), None).reset_index(drop=True)


def _index_items(wd: pd.DataFrame) -> dict[str, _Item]:
    """Rows of ``parse_sparql_websites`` grouped per item (a frame with missing columns counts as empty)."""
    items: dict[str, _Item] = {}
    if wd is None or wd.empty or "qid" not in wd.columns:
        return items
    frame = wd.reindex(columns=WEBSITE_COLUMNS)
    for qid, label, fips7, website, state in frame.itertuples(index=False, name=None):
        if not isinstance(qid, str) or not qid:
            continue
        item = items.setdefault(qid, _Item(qid))
        if isinstance(label, str) and label and (item.label is None or label < item.label):
            item.label = label
        if isinstance(fips7, str) and fips7:
            item.fips.add(fips7)
        url = _http_url(website) if isinstance(website, str) else None
        if url:
            item.websites.add(url)
        if isinstance(state, str) and state:
            item.states.add(state.upper())
    return items


def _site_key(url: str) -> str:
    return url.strip().rstrip("/").casefold()


def _distinct(urls: set[str]) -> dict[str, str]:
    """Distinct websites (ignoring case and a trailing slash), each represented by its best URL."""
    best: dict[str, str] = {}
    for url in sorted(urls, key=_website_rank):
        best.setdefault(_site_key(url), url)
    return best


def _website_rank(url: str) -> tuple[bool, bool, int, str]:
    """Sort key, best first: https, a .gov/.us host (government-controlled domains), short, lexical."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    return (parts.scheme.lower() != "https", not host.endswith((".gov", ".us")), len(url), url)


def _choose(matched: list[_Item], how: str) -> tuple[str | None, str | None, str, int]:
    """(website_url, wikidata_qid, website_match, website_candidates) for the items of one city."""
    matched = sorted(matched, key=lambda i: _qid_number(i.qid))
    sites = _distinct({s for item in matched for s in item.websites})
    if not sites:
        return None, matched[0].qid, "none", 0
    url = min(sites.values(), key=_website_rank)
    owner = next(i for i in matched if any(_site_key(s) == _site_key(url) for s in i.websites))
    return url, owner.qid, how, len(sites)


def _label_key(label: str, state: str) -> str:
    """Name key of a Wikidata label: ", Ohio"/", OH" qualifiers and "City of" prefixes removed."""
    text = label.strip()
    if "," in text:
        head, tail = text.rsplit(",", 1)
        st = geo.state_by_usps(state, include_territories=True)
        if st and tail.strip().casefold() in (st.name.casefold(), st.usps.casefold()):
            text = head
    lowered = text.casefold()
    for prefix in _LABEL_PREFIXES:
        if lowered.startswith(prefix) and len(text) > len(prefix):
            text = text[len(prefix):]
            break
    return normalize_name(text)


def _alias(name: str, legal_name: str) -> str | None:
    """Common short name of a consolidated government ("Nashville-Davidson" -> "Nashville") or of a
    Massachusetts town with a city government ("Barnstable Town" -> "Barnstable").

    Only for balances, urban counties, "X-Y County" names and "X Town city" legal names, where
    Wikidata usually labels the item by the plain name; never for ordinary hyphenated cities such as
    "Winston-Salem".
    """
    if legal_name.endswith(" Town city") and name.endswith(" Town"):
        return name[: -len(" Town")]
    consolidated = ("(balance)" in legal_name or legal_name.endswith(" urban county")
                    or name.endswith(" County"))
    if not consolidated:
        return None
    head = re.split(r"[-/]", name, maxsplit=1)[0].strip()
    return head if head and head != name else None
