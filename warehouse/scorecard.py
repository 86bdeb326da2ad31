"""A city's scorecard from the published warehouse: index, criteria by practice, and the evidence behind
each probability. Every query is parameterised; user text never becomes SQL."""

from __future__ import annotations

import json
import re

import duckdb

from sources.geo import state_by_usps


class CityNotFound(LookupError):
    pass


def parse_city(text: str) -> tuple[str, str | None]:
    """ "Alder Falls, OH" -> ("Alder Falls", "OH"); a name without a state matches any state."""
    name, _, state = text.rpartition(",") if "," in text else (text, "", "")
    return name.strip(), (state.strip().upper() or None)


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
_BY_NAME = ("SELECT * FROM marts.city_index_latest WHERE lower(city) = lower(?) AND (? IS NULL OR state = ?) "
            "ORDER BY population DESC")
_BY_NAME_ANY = (f"SELECT * FROM {_ANY_RUN} WHERE lower(city) = lower(?) AND (? IS NULL OR state = ?) "
                "ORDER BY population DESC")
_NEAR = ("SELECT city || ', ' || state FROM marts.city_index_latest WHERE lower(city) LIKE lower(?) "
         "ORDER BY population DESC LIMIT 5")
_NEAR_ANY = (f"SELECT city || ', ' || state FROM {_ANY_RUN} WHERE lower(city) LIKE lower(?) "
             "ORDER BY population DESC LIMIT 5")


def find_city(con: duckdb.DuckDBPyConnection, city: str, *, any_run: bool = False) -> dict:
    """The latest index row of the one city ``"Name, ST"`` (or GEOID) names; CityNotFound (with suggestions)
    when none or several do. ``any_run``: among every successful run, not only the latest."""
    where = "the runs of this warehouse" if any_run else "the latest run"
    if _GEOID.fullmatch(city.strip()):
        geoid = [city.strip()]
        rows = (con.execute(_BY_GEOID_ANY, geoid) if any_run else con.execute(_BY_GEOID, geoid)).fetchall()
        if not rows:
            raise CityNotFound(f"no city with geoid {city.strip()} in {where}")
        return dict(zip([d[0] for d in con.description], rows[0], strict=True))
    name, state = parse_city(city)
    named = [name, state, state]
    rows = (con.execute(_BY_NAME_ANY, named) if any_run else con.execute(_BY_NAME, named)).fetchall()
    cols = [d[0] for d in con.description]
    head, _, last = name.rpartition(" ")
    if not rows and state is None and head and state_by_usps(last) is not None:
        # "Alder Heights MD", the comma left out: the last word read as the state, once the whole name failed.
        named = [head.strip(), last.upper(), last.upper()]
        rows = (con.execute(_BY_NAME_ANY, named) if any_run else con.execute(_BY_NAME, named)).fetchall()
        cols = [d[0] for d in con.description]
    if not rows:
        like = [f"%{name}%"]
        near = (con.execute(_NEAR_ANY, like) if any_run else con.execute(_NEAR, like)).fetchall()
        hint = f"; did you mean {', '.join(r[0] for r in near)}?" if near else ""
        raise CityNotFound(f"no city {city!r} in {where}{hint}")
    if len(rows) > 1:
        options = [f"{r[cols.index('city')]}, {r[cols.index('state')]}" for r in rows]
        raise CityNotFound(f"{city!r} matches {len(options)} cities ({'; '.join(options)}); name the state too, "
                           f"e.g. \"{options[0]}\"")
    return dict(zip(cols, rows[0], strict=True))


def scorecard(con: duckdb.DuckDBPyConnection, city: str) -> dict:
    card = find_city(con, city)
    card["top_gaps"] = json.loads(card["top_gaps"] or "[]")
    crit = con.execute("""
        SELECT s.criterion_id, s.practice, s.criterion_name, s.probability, s.coverage, s.core, s.training_topic,
               s.correction_id, s.attested_met, s.attested_by, s.attested_on, s.attested_source, s.probability_web
        FROM marts.criterion_scores_latest s WHERE s.geoid = ? ORDER BY s.practice, s.criterion_id""",
                       [card["geoid"]]).fetchall()
    # The weight the score used (calibrated or the catalog's) with the catalog's beside it: the one shown
    # is the one that reproduces the probability.
    evidence = con.execute("""
        SELECT criterion_id, signal, weight, catalog_weight, value, observed, source
        FROM marts.criterion_evidence_latest WHERE geoid = ? AND (value > 0 OR NOT observed)
        ORDER BY criterion_id, contribution DESC NULLS LAST, signal""", [card["geoid"]]).fetchall()
    by_criterion: dict[str, list[dict]] = {}
    for cid, signal, weight, catalog_weight, value, observed, source in evidence:
        by_criterion.setdefault(cid, []).append({"signal": signal, "weight": weight, "catalog_weight": catalog_weight,
                                                 "value": round(value, 3), "observed": observed, "source": source})
    card["criteria"] = [{"criterion_id": c[0], "practice": c[1], "name": c[2], "probability": round(c[3], 4),
                         "coverage": c[4], "core": c[5], "training_topic": c[6],
                         "evidence": by_criterion.get(c[0], []), "attested": _attested(c)} for c in crit]
    card["snapshot"] = str(card["snapshot"])[:7]
    # Said with the card, as the terminal's banner: a card of the built-in sample is not a real city's.
    run = con.execute("SELECT is_sample FROM ops.runs WHERE run_id = ?", [card["run_id"]]).fetchone()
    card["is_sample"] = bool(run and run[0])
    card["change"] = change(con, card["geoid"])
    return card


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
            "probability_web": web, "text": attested_text(bool(met), by, on, source)}


def attested_text(met: bool, by: str, on: str, source: str) -> str:
    """ "attested met by NAME on DATE (source)": what a corrected criterion shows instead of web evidence."""
    return f"attested {'met' if met else 'not met'} by {by} on {on} ({source})"
