"""What NLC staff ask of the warehouse: outreach targets under filters, and one city's history across
snapshots. Filters are bound as parameters; user text never becomes SQL."""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb
import pandas as pd

from sources.criteria.catalog import load_catalog
from warehouse.scorecard import find_city

TIERS = ("silver", "gold", "platinum")
TARGET_COLUMNS = ["rank", "city", "state", "population", "population_band", "certified_tier", "wwc_partner",
                  "predicted_tier", "next_tier", "p_next_tier", "p_next_tier_if_gaps_closed", "push_uplift",
                  "points_to_next_tier", "coverage", "gaps", "training_topics", "blocked_by_core", "change_summary",
                  "why_call", "why_call_links", "geoid", "snapshot", "run_id", "is_sample", "expected_points"]


@dataclass(frozen=True)
class TargetFilter:
    state: str | None = None
    min_population: int | None = None
    max_population: int | None = None
    tier: str | None = None            # the tier a city is a target for (its next tier)
    limit: int | None = 50

    def __post_init__(self) -> None:
        if self.tier is not None and self.tier not in TIERS:
            raise ValueError(f"tier must be one of {', '.join(TIERS)}, not {self.tier!r}")


#: Columns of the two lists kept apart from the ranked targets (no rank: they are not ranked).
LONGER_PATH_COLUMNS = ["city", "state", "population", "certified_tier", "predicted_tier", "next_tier", "p_next_tier",
                       "p_next_tier_if_gaps_closed", "expected_points", "points_to_next_tier", "coverage",
                       "outreach_note", "why_call", "geoid", "snapshot", "run_id", "is_sample", "gaps"]
NOT_OBSERVED_COLUMNS = ["city", "state", "population", "certified_tier", "coverage", "outreach_note", "geoid",
                        "snapshot", "run_id", "is_sample"]
#: Columns are only ever added at the end: a spreadsheet or script reading the CSV by position keeps working.
#: What ``cdpi targets --list`` offers: the ranked targets, and the cities listed apart with their reason.
LISTS = ("targets", "longer_path", "not_observed")


def _filter_params(f: TargetFilter, which: str) -> dict:
    """The query parameters of ``f`` for the list ``which``, refusing a list or filter it does not have
    (one rule for :func:`targets` and :func:`count_listed`, so a count never counts what a list refuses)."""
    if which not in LISTS:
        raise ValueError(f"list must be one of {', '.join(LISTS)}, not {which!r}")
    if which == "not_observed" and f.tier is not None:
        raise ValueError("cities not observed have no next tier to filter by: leave out the tier")
    params = {"state": f.state, "min_pop": f.min_population, "max_pop": f.max_population, "tier": f.tier}
    if which == "not_observed":
        params.pop("tier")
    return params


def targets(con: duckdb.DuckDBPyConnection, f: TargetFilter, which: str = "targets") -> pd.DataFrame:
    """Rows of ``marts.outreach_targets`` (national rank kept) that pass the filter, best first; or, with
    ``which``, of the cities listed apart: ``longer_path`` (best chance first) or ``not_observed``
    (largest first; they have no tier odds to filter by)."""
    params = {**_filter_params(f, which), "limit": f.limit if f.limit is not None else 2**62}
    if which == "targets":      # each query constant text (tests/test_security_sql.py)
        frame = con.execute(_TARGETS_SQL, params).df()
    elif which == "longer_path":
        frame = con.execute(_LONGER_SQL, params).df()
    else:
        frame = con.execute(_NOT_OBSERVED_SQL, params).df()
    return list_columns(frame, which)


def list_columns(frame: pd.DataFrame, which: str) -> pd.DataFrame:
    """A list's rows as read from its view, in the columns `cdpi targets --format csv` writes (the report's
    downloads too): the longer path's ``gaps`` as the targets view writes them, from ``top_gaps``, and the
    snapshot as a DATE (.df() gives a timestamp: "2026-11-01 00:00:00" in files)."""
    if which == "longer_path" and "gaps" not in frame:
        frame = frame.assign(gaps=[shown_gap_text(g) for g in frame["top_gaps"]])
    frame = frame[{"targets": TARGET_COLUMNS, "longer_path": LONGER_PATH_COLUMNS,
                   "not_observed": NOT_OBSERVED_COLUMNS}[which]].copy()
    if "snapshot" in frame:
        frame["snapshot"] = frame["snapshot"].dt.date
    return frame


def shown_gap_text(top_gaps: str | None) -> str | None:
    """ "DM1 Name; LC1 Name": the gaps staff see (those not marked ``matters`` false), in their ranked order,
    as marts.outreach_targets.gaps writes them; None when there are none, as its string_agg gives."""
    if not isinstance(top_gaps, str) or not top_gaps:
        return None
    shown = [f"{g.get('criterion_id')} {g.get('name')}" for g in json.loads(top_gaps)
             if g.get("matters") is None or bool(g.get("matters"))]
    return "; ".join(shown) or None


def _select(columns: list[str]) -> str:
    """The list's columns, ``is_sample`` read from the run (ops.runs) rather than from the view: a warehouse
    published before the views carried it is still read (the next run rebuilds them), as the views do."""
    picked = [f"v.{c}" if c != "is_sample" else
              "(SELECT r.is_sample FROM ops.runs r WHERE r.run_id = v.run_id) AS is_sample" for c in columns]
    return ", ".join(picked)


#: The filters every list takes (a city not observed has no next tier: its query leaves that one out).
_PLACE = """
    WHERE ($state IS NULL OR state = $state)
      AND ($min_pop IS NULL OR population >= $min_pop)
      AND ($max_pop IS NULL OR population <= $max_pop)"""
_TIER = """
      AND ($tier IS NULL OR next_tier = $tier)"""

_TARGETS_SQL = f"""
    SELECT {_select(TARGET_COLUMNS)}
    FROM marts.outreach_targets v{_PLACE}{_TIER}
    ORDER BY rank
    LIMIT $limit"""

_LONGER_SQL = f"""
    SELECT {_select([c for c in LONGER_PATH_COLUMNS if c != "gaps"] + ["top_gaps"])}
    FROM marts.outreach_longer_path v{_PLACE}{_TIER}
    ORDER BY p_next_tier_if_gaps_closed DESC, geoid
    LIMIT $limit"""

_NOT_OBSERVED_SQL = f"""
    SELECT {_select(NOT_OBSERVED_COLUMNS)}
    FROM marts.outreach_not_observed v{_PLACE}
    ORDER BY population DESC NULLS LAST, geoid
    LIMIT $limit"""


#: How many rows each list holds under the filter (no limit): "showing N of M" without reading M rows.
_TARGETS_COUNT_SQL = f"SELECT count(*) FROM marts.outreach_targets v{_PLACE}{_TIER}"
_LONGER_COUNT_SQL = f"SELECT count(*) FROM marts.outreach_longer_path v{_PLACE}{_TIER}"
_NOT_OBSERVED_COUNT_SQL = f"SELECT count(*) FROM marts.outreach_not_observed v{_PLACE}"


def count_listed(con: duckdb.DuckDBPyConnection, f: TargetFilter, which: str = "targets") -> int:
    """How many rows :func:`targets` would give for ``f`` without its limit, counted in SQL: the list's
    rows carry every why_call sentence, too much to read only to count them."""
    params = _filter_params(f, which)
    if which == "targets":      # each query constant text (tests/test_security_sql.py)
        row = con.execute(_TARGETS_COUNT_SQL, params).fetchone()
    elif which == "longer_path":
        row = con.execute(_LONGER_COUNT_SQL, params).fetchone()
    else:
        row = con.execute(_NOT_OBSERVED_COUNT_SQL, params).fetchone()
    return int(row[0]) if row else 0


@dataclass(frozen=True)
class ListCounts:
    """How the latest run's cities under a filter's place (state, population) split across the lists: what
    staff need when the list they asked for is empty, to know where the cities went."""
    snapshot: str                      # YYYY-MM of the latest run
    state_cities: int | None           # cities of the filter's state in the run (None: no state filter)
    place_cities: int                  # cities of the run inside the state and population bounds
    by_list: dict[str, int]            # per outreach_status (target, longer_path, not_observed, top_tier):
                                       # cities that pass the whole filter
    any_tier: dict[str, int]           # the same, of any next tier (the place's cities per status)


def list_counts(con: duckdb.DuckDBPyConnection, f: TargetFilter) -> ListCounts:
    """The latest run's cities of ``f``'s place per outreach status. The tier filter counts where a list
    takes it; the not-observed list has no next tier, so all of its cities of the place count."""
    params = {"state": f.state, "min_pop": f.min_population, "max_pop": f.max_population, "tier": f.tier}
    found = con.execute(_COUNTS_SQL, params).fetchall()
    snapshot, state_cities = con.execute(_STATE_SQL, {"state": f.state}).fetchone() or (None, 0)
    return ListCounts(snapshot=snapshot or "", state_cities=None if f.state is None else int(state_cities),
                      place_cities=sum(int(in_place) for _, in_place, _ in found),
                      by_list={status: int(matching) for status, _, matching in found},
                      any_tier={status: int(in_place) for status, in_place, _ in found})


_COUNTS_SQL = f"""
    SELECT outreach_status, count(*) AS in_place,
           count(*) FILTER (WHERE outreach_status = 'not_observed' OR $tier IS NULL OR next_tier = $tier) AS matching
    FROM marts.city_index_latest{_PLACE}
    GROUP BY outreach_status"""

_STATE_SQL = """
    SELECT (SELECT strftime(snapshot, '%Y-%m') FROM ops.latest_run),
           (SELECT count(*) FROM marts.city_index_latest WHERE state = $state)"""


def history(con: duckdb.DuckDBPyConnection, city: str) -> tuple[dict, pd.DataFrame]:
    """(the city's latest index row, one row per successful run that scored it, oldest first). Several runs
    of one month all appear (``latest_for_month`` marks the one the month's views use). Each row says how it
    was scored (weights, tier bands by name, staff corrections applied): a change of rules between two runs
    must not read as the city changing. A run that recorded no bands name used the catalog's default,
    which is shown (the default of the catalog installed now)."""
    row = find_city(con, city, any_run=True)
    frame = con.execute("""
        -- The run each month's views read, in ops.current_run's order (a real run before a sample run, then
        -- the last to finish), chosen among all the month's runs: one that left this city out still stands.
        WITH month_runs AS (
            SELECT run_id FROM ops.runs WHERE status = 'success'
            QUALIFY row_number() OVER (PARTITION BY snapshot ORDER BY is_sample, finished_at DESC NULLS LAST) = 1)
        SELECT strftime(i.snapshot, '%Y-%m') AS snapshot, i.run_id, r.mode, r.is_sample,
               strftime(r.finished_at, '%Y-%m-%d %H:%M') AS finished_utc,
               i.expected_points, i.score_pct, i.p_silver_or_better, i.p_gold_or_better, i.p_platinum,
               i.predicted_tier, i.coverage, i.certified_tier,
               i.scored_with,
               -- By name: the run records the bands it used; a run from before that recorded them only
               -- when chosen, and an empty setting meant the catalog's default.
               coalesce(json_extract_string(r.config_json, '$.tier_bands'),
                        nullif(json_extract_string(r.config_json, '$.settings.tier_bands'), ''),
                        ?) AS tier_bands,
               i.corrections_applied,
               i.run_id IN (SELECT run_id FROM month_runs) AS latest_for_month
        FROM marts.city_index i JOIN ops.runs r USING (run_id)
        WHERE i.geoid = ? AND r.status = 'success'
        ORDER BY i.snapshot, r.finished_at""", [load_catalog().bands, row["geoid"]]).df()
    return row, frame
