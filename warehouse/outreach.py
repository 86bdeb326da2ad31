"""What NLC staff ask of the warehouse: outreach targets under filters, and one city's history across
snapshots. Filters are bound as parameters; user text never becomes SQL."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from warehouse.scorecard import find_city

TIERS = ("silver", "gold", "platinum")
TARGET_COLUMNS = ["rank", "city", "state", "population", "population_band", "certified_tier", "wwc_partner",
                  "predicted_tier", "next_tier", "p_next_tier", "p_next_tier_if_gaps_closed", "push_uplift",
                  "points_to_next_tier", "coverage", "gaps", "training_topics", "blocked_by_core", "change_summary",
                  "why_call", "why_call_links", "geoid", "snapshot", "run_id"]


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


def targets(con: duckdb.DuckDBPyConnection, f: TargetFilter) -> pd.DataFrame:
    """Rows of ``marts.outreach_targets`` (national rank kept) that pass the filter, best first."""
    params = {"state": f.state, "min_pop": f.min_population, "max_pop": f.max_population, "tier": f.tier,
              "limit": f.limit if f.limit is not None else 2**62}
    frame = con.execute(_TARGETS_SQL, params).df()[TARGET_COLUMNS]
    if "snapshot" in frame:     # a DATE comes back from .df() as a timestamp: "2026-11-01 00:00:00" in files
        frame["snapshot"] = frame["snapshot"].dt.date
    return frame


_TARGETS_SQL = f"""
    SELECT {', '.join(TARGET_COLUMNS)}
    FROM marts.outreach_targets
    WHERE ($state IS NULL OR state = $state)
      AND ($min_pop IS NULL OR population >= $min_pop)
      AND ($max_pop IS NULL OR population <= $max_pop)
      AND ($tier IS NULL OR next_tier = $tier)
    ORDER BY rank
    LIMIT $limit"""


def history(con: duckdb.DuckDBPyConnection, city: str) -> tuple[dict, pd.DataFrame]:
    """(the city's latest index row, one row per successful run that scored it, oldest first). Several runs
    of one month all appear (``latest_for_month`` marks the one the month's views use)."""
    row = find_city(con, city, any_run=True)
    frame = con.execute("""
        SELECT strftime(i.snapshot, '%Y-%m') AS snapshot, i.run_id, r.mode, r.is_sample,
               strftime(r.finished_at, '%Y-%m-%d %H:%M') AS finished_utc,
               i.expected_points, i.score_pct, i.p_silver_or_better, i.p_gold_or_better, i.p_platinum,
               i.predicted_tier, i.coverage, i.certified_tier,
               row_number() OVER (PARTITION BY i.snapshot ORDER BY r.finished_at DESC) = 1 AS latest_for_month
        FROM marts.city_index i JOIN ops.runs r USING (run_id)
        WHERE i.geoid = ? AND r.status = 'success'
        ORDER BY i.snapshot, r.finished_at""", [row["geoid"]]).df()
    return row, frame
