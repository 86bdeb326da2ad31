"""A city's scorecard from the published warehouse: index, criteria by practice, and the evidence behind
each probability. Every query is parameterised; user text never becomes SQL."""

from __future__ import annotations

import difflib
import functools
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import duckdb

from sources.geo import state_by_name, state_by_usps
from warehouse.index.outreach import closable, run_min_gap_gain
from warehouse.index.scoring import CONFIRM_CORE_BELOW, MAX_PROBABILITY, shown_bar
from warehouse.index.signals import signal_name
from warehouse.schema import columns_or_none


class CityNotFound(LookupError):
    pass


@functools.lru_cache(maxsize=65536)    # every lookup folds every name of the run: a batch repeats them
def fold(text: str) -> str:
    """A name as staff may type it, made comparable: accents folded ("Cañon" -> "canon", by Unicode's NFKD
    decomposition), case ignored, spaces trimmed and collapsed, and the marks spellings disagree on dropped
    (St. Louis and St Louis, Winston-Salem and Winston Salem, Coeur d'Alene and Coeur dAlene)."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    plain = re.sub(r"[.'\u2019]", "", plain.replace("-", " "))
    return " ".join(plain.split())


def parse_city(text: str) -> tuple[str, str | None]:
    """ "Alder Falls, OH" -> ("Alder Falls", "OH"); the state as its USPS code or its name, in any case, with
    spaces trimmed and collapsed (" alder  falls , ohio " -> ("alder falls", "OH")); a name without a state
    matches any state. A state part that names no state comes back as typed, for the caller to refuse."""
    text = " ".join(text.split())
    name, _, state = text.rpartition(",") if "," in text else (text, "", "")
    state = state.strip()
    return name.strip(), _state_code(state) or (state or None)


def _state_code(text: str) -> str | None:
    """The USPS code of the state ``text`` names, by its code or its name, any case; None when none."""
    found = (state_by_usps(text) or state_by_name(text)) if text else None
    return found.usps if found is not None else None


#: A Census GEOID: state and place FIPS (7 digits), or state, county and county-subdivision FIPS of a town (10).
_GEOID = re.compile(r"\d{7}|\d{10}")
#: Each city's newest row among every successful run: a city the latest run did not score (a slice, a
#: threshold) still has a history. The queries are constant text (values are bound), for the latest run and
#: for any run.
_ANY_RUN = """(SELECT i.* FROM marts.city_index i JOIN ops.runs r USING (run_id) WHERE r.status = 'success'
               QUALIFY row_number() OVER (PARTITION BY i.geoid ORDER BY r.is_sample, i.snapshot DESC,
                                          r.finished_at DESC) = 1)"""
_BY_GEOID = "SELECT * FROM marts.city_index_latest WHERE geoid = ?"
_BY_GEOID_ANY = f"SELECT * FROM {_ANY_RUN} WHERE geoid = ?"
#: Every city's name, to match a name as typed (accents, case, spaces) in Python: DuckDB's lower() keeps
#: accents, and a close spelling needs the whole list anyway. Largest first, so suggestions and the cities
#: one name matches are listed in that order.
_NAMES = "SELECT geoid, city, state FROM marts.city_index_latest ORDER BY population DESC NULLS LAST, geoid"
_NAMES_ANY = f"SELECT geoid, city, state FROM {_ANY_RUN} ORDER BY population DESC NULLS LAST, geoid"
#: How close a spelling must be to be suggested (difflib's ratio: "Alder Hieghts" to "Alder Heights" is 0.92).
_CLOSE = 0.75
#: What a card shows of each signal behind a criterion (marts.criterion_evidence_latest).
EVIDENCE_COLUMNS = ("criterion_id", "signal", "weight", "catalog_weight", "value", "observed", "source", "not_read")
_EXAMPLE = 'name a city as "Name, ST" (e.g. "Alder Heights, MD"; the state by its code or its name), or give its GEOID'


def find_city(con: duckdb.DuckDBPyConnection, city: str, *, any_run: bool = False) -> dict:
    """The latest index row of the one city ``"Name, ST"`` (or GEOID) names; CityNotFound (with suggestions)
    when none or several do. ``any_run``: among every successful run, not only the latest. Names compare
    folded (:func:`fold`: "canon springs, wi" finds "Cañon Springs, WI"); the state may be a code or a name."""
    where = "the runs of this warehouse" if any_run else "the latest run"
    text = " ".join((city or "").split())
    if not text.strip(", "):
        raise CityNotFound(f"no city given: {_EXAMPLE}")
    if _GEOID.fullmatch(text):
        geoid = [text]
        rows = (con.execute(_BY_GEOID_ANY, geoid) if any_run else con.execute(_BY_GEOID, geoid)).fetchall()
        if not rows:
            raise CityNotFound(f"no city with geoid {text} in {where}")
        return dict(zip([d[0] for d in con.description], rows[0], strict=True))
    name, state = parse_city(text)
    if not name:
        raise CityNotFound(f"no city name before the comma in {city!r}: {_EXAMPLE}")
    known = (con.execute(_NAMES_ANY) if any_run else con.execute(_NAMES)).fetchall()
    names = [(str(g), str(c), str(s), fold(str(c))) for g, c, s in known]
    unknown_state = state is not None and _state_code(state) is None
    hits = [] if unknown_state else _named(names, fold(name), state)
    if not hits and "," not in text:
        # "Alder Heights MD" or "alder heights maryland", the comma left out: the last words read as the state.
        words = name.split(" ")
        for n in (1, 2, 3):
            code = _state_code(" ".join(words[-n:])) if len(words) > n else None
            if code and (hits := _named(names, fold(" ".join(words[:-n])), code)):
                break
    if not hits:
        if unknown_state:
            raise CityNotFound(f"no city {city!r} in {where}: {state!r} is not a state (after the comma, a "
                               f"USPS code such as MD or a state's name){_suggest(names, name, None)}")
        raise CityNotFound(f"no city {city!r} in {where}{_suggest(names, name, state)}")
    if len(hits) > 1:
        options = [f"{c}, {s}" for _, c, s, _ in hits]
        if len(set(options)) < len(options):    # the same name twice in one state (a town and a city)
            listed = "; ".join(f"{c}, {s}: geoid {g}" for g, c, s, _ in hits)
            raise CityNotFound(f"{city!r} matches {len(hits)} cities ({listed}); give the GEOID of the one meant")
        raise CityNotFound(f"{city!r} matches {len(options)} cities ({'; '.join(options)}); name the state too, "
                           f"e.g. \"{options[0]}\"")
    geoid = [hits[0][0]]
    rows = (con.execute(_BY_GEOID_ANY, geoid) if any_run else con.execute(_BY_GEOID, geoid)).fetchall()
    return dict(zip([d[0] for d in con.description], rows[0], strict=True))


def _named(names: list[tuple[str, str, str, str]], key: str, state: str | None) -> list[tuple[str, str, str, str]]:
    """The cities whose folded name is ``key``, in ``state`` when one is given."""
    return [n for n in names if n[3] == key and (state is None or n[2] == state)]


def _suggest(names: list[tuple[str, str, str, str]], name: str, state: str | None) -> str:
    """"; did you mean A, ST; B, ST?": up to five cities whose name holds the one typed or is spelled close to
    it (difflib), closest first, in the state given if it has any, else anywhere; "" when none is near."""
    key = fold(name)
    if not key:
        return ""
    for pool in ([n for n in names if n[2] == state] if state else [], names):
        folded = list(dict.fromkeys(n[3] for n in pool))
        close = set(difflib.get_close_matches(key, folded, n=5, cutoff=_CLOSE))
        near = [n for n in pool if key in n[3] or n[3] in close]
        if near:     # closest spelling first; the larger city first among equals (the pool's order)
            near.sort(key=lambda n: -difflib.SequenceMatcher(None, key, n[3]).ratio())
            shown = list(dict.fromkeys(f"{c}, {s}" for _, c, s, _ in near))[:5]
            elsewhere = " (none in that state)" if state and pool is names else ""
            return f"; did you mean {'; '.join(shown)}{elsewhere}?"
    return ""


def scorecard(con: duckdb.DuckDBPyConnection, city: str) -> dict:
    card = find_city(con, city)
    card["top_gaps"] = json.loads(card["top_gaps"] or "[]")
    # With each criterion what its probability is computed from (prior, met on its own, prerequisites) and
    # the note of the correction that decided it, if one did: the card must multiply out to what it shows.
    crit = con.execute("""
        SELECT s.criterion_id, s.practice, s.criterion_name, s.probability, s.coverage, s.core, s.training_topic,
               s.correction_id, s.attested_met, s.attested_by, s.attested_on, s.attested_source, s.probability_web,
               s.prior, s.met_probability, c.prerequisites,
               (SELECT any_value(o.note) FROM ops.corrections o
                WHERE o.run_id = s.run_id AND o.correction_id = s.correction_id) AS note
        FROM marts.criterion_scores_latest s
        LEFT JOIN marts.criteria c ON c.run_id = s.run_id AND c.criterion_id = s.criterion_id
        WHERE s.geoid = ? ORDER BY s.practice, s.criterion_id""", [card["geoid"]]).fetchall()
    # The weight the score used (calibrated or the catalog's) with the catalog's beside it: the one shown
    # is the one that reproduces the probability. Values as stored: 0.9995 rounded to 1.0 would not.
    # Every column the view has (SELECT *): a file published before not_read existed keeps its older view
    # until the next run, and the card must still read it (not_read None: not recorded then).
    cur = con.execute("""
        SELECT * FROM marts.criterion_evidence_latest WHERE geoid = ? AND (value > 0 OR NOT observed)
        ORDER BY criterion_id, contribution DESC NULLS LAST, signal""", [card["geoid"]])
    by_criterion: dict[str, list[dict]] = {}
    for e in columns_or_none(cur, EVIDENCE_COLUMNS):
        by_criterion.setdefault(e.pop("criterion_id"), []).append(e)
    probability = {c[0]: c[3] for c in crit}
    card["criteria"] = []
    for c in crit:
        prerequisites = [{"criterion_id": p, "probability": probability.get(p)} for p in split_ids(c[15])]
        attested = _attested(c)
        card["criteria"].append({
            "criterion_id": c[0], "practice": c[1], "name": c[2], "probability": c[3], "coverage": c[4],
            "core": c[5], "training_topic": c[6], "prior": c[13], "met_probability": c[14],
            "prerequisites": prerequisites, "evidence": by_criterion.get(c[0], []), "attested": attested,
            "explanation": explanation(prior=c[13], met=c[14], probability=c[3], signals=by_criterion.get(c[0], []),
                                       prerequisites=prerequisites,
                                       attested_met=None if attested is None else attested["met"])})
    by_id = {c["criterion_id"]: c for c in card["criteria"]}
    for gap in card["top_gaps"]:
        gap["reason"] = gap_reason(gap, by_id.get(gap.get("criterion_id")))
    card["snapshot"] = str(card["snapshot"])[:7]
    # Said with the card, as the terminal's banner: a card of the built-in sample is not a real city's.
    run = con.execute("SELECT is_sample, config_json FROM ops.runs WHERE run_id = ?", [card["run_id"]]).fetchone()
    card["is_sample"] = bool(run and run[0])
    card["min_gap_gain"] = run_min_gap_gain(run[1] if run else None)     # the threshold the run marked gaps by
    card["change"] = change(con, card["geoid"])
    return card


def split_ids(text: str | None) -> list[str]:
    """marts.criteria.prerequisites ("RDC1", or several joined by ';') as a list of criterion ids."""
    return [p.strip() for p in (text or "").split(";") if p.strip()]


def explanation(*, prior: float | None, met: float | None, probability: float | None,
                signals: Iterable[Mapping[str, Any]], prerequisites: Iterable[Mapping[str, Any]],
                attested_met: bool | None = None) -> str:
    """One line that multiplies out to a criterion's probability, in the order warehouse/index/scoring.py
    computes it: the prior and each signal found (weight x value) give the probability the criterion is met
    on its own, capped at 0.98 (or an attested correction sets it), then each prerequisite's probability
    multiplies it, e.g. "1-(1-prior 0.105)(1-0.712×1.00) = met 0.741 × P(RDC1) 0.741 = 0.549". Signals at 0
    are left out: they multiply by 1. A figure a run did not store shows as "?"."""
    def num(x: float | None) -> str:
        return "?" if x is None else f"{x:.3f}"

    if attested_met is not None:
        line = f"met {num(met)} (attested {'met' if attested_met else 'not met'})"
    else:
        found = [s for s in signals if (s.get("value") or 0) > 0]
        used = [(float(s["weight"]), float(s["value"])) for s in found if s.get("weight") is not None]
        if not found:
            line = f"prior {num(prior)}, no signal found: met {num(met)}"
        elif prior is None or len(used) < len(found):
            line = f"prior {num(prior)}, weights used not stored for this run: met {num(met)}"
        else:
            raw = 1.0 - (1.0 - prior) * math.prod([1.0 - w * v for w, v in used])
            terms = "".join(f"(1-{w:.3g}×{signal_value(v)})" for w, v in used)
            line = f"1-(1-prior {num(prior)}){terms} = " + (
                f"{raw:.3f}, capped: met {num(met)}" if raw > MAX_PROBABILITY else f"met {num(met)}")
    pre = list(prerequisites)
    if pre:
        line += "".join(f" × P({p['criterion_id']}) {num(p.get('probability'))}" for p in pre)
        line += f" = {num(probability)}"
    return line


def signal_value(v: float) -> str:
    """A signal's value in a line meant to be multiplied out by hand: up to four decimals, at least two (a
    crawl's 0.9952 shown as 1.00 would put the product off by up to 0.004): 1.00, 0.22, 0.998, 0.9952."""
    text = f"{v:.4f}".rstrip("0")
    return text + "0" * max(0, 2 - len(text.partition(".")[2]))


def gap_reason(gap: Mapping[str, Any], criterion: Mapping[str, Any] | None,
               words: Callable[[str], str] = signal_name) -> str:
    """What keeps a gap from being met, in words: the signals it lacks ("lacking data governance documents,
    ..."), or, when no signal is lacking, what decided it instead: an attested correction (with its note), a
    prerequisite holding it back, or evidence that is all found yet not enough to count as shown. A gap public
    evidence cannot close (``closable: false``) says so and asks to confirm it with the city, never listing
    pages to publish: publishing them would not close it. ``words``: how a signal is written."""
    lacking = [str(x) for x in gap.get("lacking") or []]
    criterion = criterion or {}
    attested = criterion.get("attested")
    held = [p for p in criterion.get("prerequisites") or []
            if p.get("probability") is not None and p["probability"] < 0.5]
    back = "; ".join(f"held back by prerequisite {p['criterion_id']} at {p['probability']:.2f}" for p in held)
    if attested:
        note = f": {attested['note']}" if attested.get("note") else ""
        return f"{attested['text']}, correction #{attested['correction_id']}{note}" + (f"; {back}" if back else "")
    if not closable(gap):
        best = gap.get("best_web")
        most = (f" (at most {best:.2f} with every signal it reads found, short of the "
                f"{shown_bar(bool(gap.get('core'))):.2f} it needs)" if isinstance(best, int | float) else "")
        return f"public web evidence cannot show this{most}: confirm with the city" + (f"; {back}" if back else "")
    if lacking:
        return f"lacking {', '.join(words(x) for x in lacking)}" + (f"; {back}" if back else "")
    met = criterion.get("met_probability")
    said = "no signal it reads is missing" + ("" if met is None else f" (met on its own: {met:.2f})")
    if back:
        return f"{said}; {back}"
    if gap.get("confirm"):
        return f"{said}, short of the {CONFIRM_CORE_BELOW:.2f} a core criterion needs to count as shown: " \
               "confirm it with the city"
    return f"{said}: only the city can show more"


def change(con: duckdb.DuckDBPyConnection, geoid: str) -> dict | None:
    """The city's row of marts.city_changes_latest (previous_snapshot None: first snapshot), or None when
    the warehouse predates the view."""
    try:
        cur = con.execute("SELECT * FROM marts.city_changes_latest WHERE geoid = ?", [geoid])
    except duckdb.CatalogException:
        return None
    row = cur.fetchone()
    if row is None:
        return None
    out = dict(zip([d[0] for d in cur.description], row, strict=True))
    for key in ("snapshot", "previous_snapshot"):
        out[key] = None if out[key] is None else str(out[key])[:7]
    return out


def _attested(row: tuple) -> dict | None:
    """The correction that decided a criterion (None when its web evidence did), with the words to show."""
    correction_id, met, by, on, source, web = row[7:13]
    if correction_id is None:
        return None
    return {"correction_id": int(correction_id), "met": bool(met), "by": by, "on": on, "source": source,
            "probability_web": web, "note": row[16], "text": attested_text(bool(met), by, on, source)}


def attested_text(met: bool, by: str, on: str, source: str) -> str:
    """ "attested met by NAME on DATE (source)": what a corrected criterion shows instead of web evidence."""
    return f"attested {'met' if met else 'not met'} by {by} on {on} ({source})"
