"""Everything the report shows, loaded from the warehouse in a handful of queries.

One query per table for the whole run, grouped by city in Python, instead of one query per city: a
national run has ~1,500 cities and per-city round trips would dominate the build time. The run is picked
the way ops.latest_run picks it (latest successful run, of the requested snapshot when one is given), and
the base tables are filtered by its run_id, so the same code serves the latest snapshot and older ones.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from warehouse.index.outreach import MIN_GAP_GAIN, closable, run_min_gap_gain
from warehouse.outreach import (
    LISTS,
    LONGER_PATH_COLUMNS,
    NOT_OBSERVED_COLUMNS,
    TARGET_COLUMNS,
    TargetFilter,
    list_columns,
)
from warehouse.outreach import targets as outreach_rows
from warehouse.publish import WarehouseError
from warehouse.schema import columns_or_none, count

SNAPSHOT_RE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
TIERS = ("none", "silver", "gold", "platinum")
TREND_RUNS = 24   # runs in the validation page's trend table


@dataclass(frozen=True)
class Run:
    """The successful run the report describes."""

    run_id: str
    snapshot: datetime
    mode: str
    is_sample: bool
    finished_at: datetime | None
    cdpi_version: str | None
    is_latest: bool
    #: The run's own outreach_min_gap_gain (a gap moving the odds less is not shown), read from its config.
    min_gap_gain: float = MIN_GAP_GAIN
    #: Whether the report carries the run's Great Expectations Data Docs (data-docs/index.html).
    data_docs: bool = False

    @property
    def label(self) -> str:
        """The snapshot month as the CLI prints it, e.g. 2026-11."""
        return self.snapshot.strftime("%Y-%m")


@dataclass
class ReportData:
    """Rows of one run, grouped by city (geoid) where a page needs them per city."""

    run: Run
    cities: list[dict[str, Any]]
    targets: list[dict[str, Any]]
    practices: dict[str, str]
    criteria: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    signals: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    evidence: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    validation: list[dict[str, Any]] = field(default_factory=list)    # marts.validation rows of the run
    calibration: list[dict[str, Any]] = field(default_factory=list)   # pooled held-out rows and the verdict
    trend: list[dict[str, Any]] = field(default_factory=list)         # validation figures of earlier runs
    #: What `cdpi targets --format csv` writes for each city of each list (see :func:`export_rows`).
    exports: dict[str, dict[str, dict[str, str | None]]] = field(default_factory=dict)
    #: The export columns that hold text (the only cells a spreadsheet could run as a formula).
    export_text: list[str] = field(default_factory=list)


#: What a city page shows of each signal behind a criterion (marts.criterion_evidence_of).
_SIGNAL_COLUMNS = ("geoid", "criterion_id", "signal", "weight", "catalog_weight", "value", "observed", "source",
                   "contribution", "not_read")


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | dict[str, Any] | None = None,
         ) -> list[dict[str, Any]]:
    """Query result as dicts (column name -> value)."""
    cur = con.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def select_run(con: duckdb.DuckDBPyConnection, snapshot: str | None) -> Run:
    """The current run (``ops.current_run``: real before sample, then newest), of `snapshot` (YYYY-MM or
    YYYY-MM-DD) when given."""
    if snapshot is not None and not SNAPSHOT_RE.match(snapshot.strip()):
        raise WarehouseError(f"snapshot {snapshot!r} is not YYYY-MM")
    month = snapshot.strip()[:7] if snapshot else None
    # ops.current_run is the one definition of "the current run" (warehouse/sql/40_views.sql).
    found = rows(con, """
        SELECT run_id, snapshot, mode, is_sample, finished_at, cdpi_version, config_json
        FROM ops.current_run(CAST(? AS VARCHAR))""", [month])
    if not found:
        known = [r[0] for r in con.execute(
            "SELECT DISTINCT strftime(snapshot, '%Y-%m') FROM ops.runs WHERE status = 'success' ORDER BY 1"
        ).fetchall()]
        want = f"snapshot {month}" if month else "any snapshot"
        raise WarehouseError(f"no successful run for {want} in the warehouse"
                             + (f"; snapshots: {', '.join(known)}" if known else ""))
    latest = con.execute("SELECT run_id FROM ops.latest_run").fetchone()
    r = found[0]
    return Run(run_id=r["run_id"], snapshot=r["snapshot"], mode=r["mode"], is_sample=bool(r["is_sample"]),
               finished_at=r["finished_at"], cdpi_version=r["cdpi_version"],
               is_latest=latest is not None and latest[0] == r["run_id"], min_gap_gain=run_min_gap_gain(r["config_json"]))


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def parse_gaps(text: str | None) -> list[dict[str, Any]]:
    """top_gaps is a JSON string: parsed into entries with every key present and typed, so the template
    needs no guards; a malformed value shows as no gaps rather than failing the whole report."""
    return [{"criterion_id": _text(g.get("criterion_id")), "name": _text(g.get("name")),
             "practice": _text(g.get("practice")), "next_tier": _text(g.get("next_tier")),
             "probability": _number(g.get("probability")), "tier_gain": _number(g.get("tier_gain")),
             "points_gain": _number(g.get("points_gain")), "training_topic": _text(g.get("training_topic")),
             "lacking": [str(x) for x in g.get("lacking") or [] if x is not None]
             if isinstance(g.get("lacking"), list) else [],
             "core": g.get("core") is True, "matters": g.get("matters") is not False,
             "confirm": g.get("confirm") is True, "observable": g.get("observable") is not False,
             "closable": closable(g), "best_web": _number(g.get("best_web")),
             "training_topic_name": _text(g.get("training_topic_name"))}
            for g in _json_list(text) if isinstance(g, dict)]


def parse_links(text: str | None) -> list[dict[str, str]]:
    """why_call_links (JSON list of {what, url}) as typed entries; malformed values show as no links."""
    return [{"what": str(x.get("what") or "evidence"), "url": str(x["url"])}
            for x in _json_list(text) if isinstance(x, dict) and x.get("url")]


def _json_list(text: str | None) -> list:
    """A JSON list column's value, or [] when it is missing, malformed or not a list."""
    try:
        value = json.loads(text or "[]")
    except (TypeError, ValueError):
        return []
    return value if isinstance(value, list) else []


def _view_of_run(con: duckdb.DuckDBPyConnection, view: str) -> str:
    """The SQL of marts.``view`` (an outreach view over the latest run) with its sources swapped for the rows
    of the run bound as $run_id, so the view's rules stay defined in one place for older runs too."""
    found = con.execute("SELECT sql FROM duckdb_views() WHERE database_name = current_database() "
                        "AND schema_name = 'marts' AND view_name = ?", [view]).fetchone()
    source = "marts.city_index_latest"
    if not found or found[0].count(source) != 1:
        raise WarehouseError(f"marts.{view} no longer reads marts.city_index_latest once; "
                             "the report cannot rebuild it for an older snapshot")
    body = found[0].partition(" AS ")[2].strip().rstrip(";")
    body = body.replace(source, "(SELECT * FROM marts.city_index WHERE run_id = $run_id)")
    return body.replace("marts.city_changes_latest", "(SELECT * FROM marts.city_changes WHERE run_id = $run_id)")


def _targets(con: duckdb.DuckDBPyConnection, run: Run) -> list[dict[str, Any]]:
    """marts.outreach_targets as is for the latest run; for an older run, the view's own SQL with its
    source swapped for that run's rows, so the ranking rules stay defined in one place."""
    if run.is_latest:
        return rows(con, "SELECT * FROM marts.outreach_targets ORDER BY rank")
    return rows(con, f"SELECT * FROM ({_view_of_run(con, 'outreach_targets')}) ORDER BY rank", {"run_id": run.run_id})


#: Each list of `cdpi targets --list`: the view it reads and the columns its CSV has.
EXPORT_VIEWS = {"targets": ("outreach_targets", TARGET_COLUMNS),
                "longer_path": ("outreach_longer_path", LONGER_PATH_COLUMNS),
                "not_observed": ("outreach_not_observed", NOT_OBSERVED_COLUMNS)}


def _cell(value: Any) -> Any:
    """A value as `cdpi targets --format csv` receives it (pipelines/cli/output.py): pandas' missing values
    as None, numpy scalars as Python values."""
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):   # a list or an array is a value, not missing
        pass
    return value.item() if hasattr(value, "item") else value


def export_rows(con: duckdb.DuckDBPyConnection, run: Run) -> tuple[dict[str, dict[str, dict[str, str | None]]],
                                                                     list[str]]:
    """Every city of each outreach list (``targets``, ``longer_path``, ``not_observed``) as the CSV of
    `cdpi targets --list ... --format csv` writes it, by geoid: {column: text, or None for an empty cell},
    before the spreadsheet rule (warehouse/spreadsheet.py), which the page applies to the text columns,
    returned second. The targets page's download builds its CSV from these, so a download of the shown rows
    holds what the command line writes, not the cells' display text. The latest run reads the rows the
    command reads (warehouse.outreach); an older run, the same views rebuilt over its rows."""
    frames: dict[str, pd.DataFrame] = {}
    for which in LISTS:
        if run.is_latest:
            frames[which] = outreach_rows(con, TargetFilter(limit=None), which)
            continue
        view, _ = EXPORT_VIEWS[which]
        frames[which] = list_columns(con.execute(f"SELECT * FROM ({_view_of_run(con, view)})",
                                                 {"run_id": run.run_id}).df(), which)
    exports: dict[str, dict[str, dict[str, str | None]]] = {}
    text: list[str] = []
    for which, frame in frames.items():
        out = exports.setdefault(which, {})
        for record in frame.to_dict("records"):
            cells = {column: _cell(v) for column, v in record.items()}
            text += [c for c, v in cells.items() if isinstance(v, str) and c not in text]
            out[str(cells["geoid"])] = {c: None if v is None else str(v) for c, v in cells.items()}
    return exports, text


def _trend(con: duckdb.DuckDBPyConnection, run: Run, limit: int = TREND_RUNS) -> list[dict[str, Any]]:
    """The headline validation figures of every successful run up to the reported one (oldest first, the
    last ``limit``): whether a change of weights or evidence rules made the index agree better or worse
    with the certified list. A run from before a figure existed shows it as None."""
    found = rows(con, """
        WITH runs AS (
            SELECT run_id, snapshot, finished_at, mode, is_sample FROM ops.runs
            WHERE status = 'success' AND (run_id = $run_id OR snapshot < $snapshot
                  OR (snapshot = $snapshot AND finished_at <= $finished_at))
            ORDER BY snapshot DESC, finished_at DESC NULLS LAST LIMIT $limit)
        SELECT r.run_id, r.snapshot, r.finished_at, r.mode, r.is_sample,
               max(v.value) FILTER (WHERE v.metric = 'auc_p_silver_or_better')       AS auc,
               max(v.value) FILTER (WHERE v.metric = 'precision_at_k' AND v.k = 10)  AS precision_at_10,
               max(v.value) FILTER (WHERE v.metric = 'tier_accuracy_certified')      AS tier_accuracy_certified,
               max(v.value) FILTER (WHERE v.metric = 'reliability_error')            AS reliability_error,
               max(v.positives) FILTER (WHERE v.metric = 'auc_p_silver_or_better')   AS labels,
               (SELECT any_value(c.model) FROM marts.calibration c
                WHERE c.run_id = r.run_id AND c.metric = 'adopted')                   AS scored_with
        FROM runs r LEFT JOIN marts.validation v USING (run_id)
        GROUP BY ALL ORDER BY r.snapshot, r.finished_at NULLS FIRST, r.run_id""",
        {"run_id": run.run_id, "snapshot": run.snapshot, "finished_at": run.finished_at, "limit": limit})
    return found


def _changes(con: duckdb.DuckDBPyConnection, run: Run) -> dict[str, dict[str, Any]]:
    """marts.city_changes rows of the run by geoid (empty for a file published before changes existed; a
    view in files published before it became a table)."""
    found = count(con, "SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database() "
                       "AND schema_name = 'marts' AND table_name = 'city_changes'")
    if not found:
        return {}
    return {c["geoid"]: c for c in rows(con, "SELECT * FROM marts.city_changes WHERE run_id = ?", [run.run_id])}


def _group(items: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        out.setdefault(item[key], []).append(item)
    return out


def load(con: duckdb.DuckDBPyConnection, snapshot: str | None = None) -> ReportData:
    """All rows of the chosen run the report needs."""
    run = select_run(con, snapshot)
    rid = [run.run_id]
    cities = rows(con, "SELECT *, marts.population_band(population) AS population_band FROM marts.city_index "
                       "WHERE run_id = ? ORDER BY state, city, geoid", rid)
    changes = _changes(con, run)
    for c in cities:
        c["gaps"] = parse_gaps(c.get("top_gaps"))
        c["change"] = changes.get(c["geoid"])     # None: the warehouse predates marts.city_changes
        c["why_links"] = parse_links(c.get("why_call_links"))
    sites = {r["geoid"]: r for r in rows(con, "SELECT geoid, website_url, homepage_outcome FROM marts.cities "
                                              "WHERE run_id = ?", rid)}
    portals = _group(rows(con, "SELECT geoid, portal_host, platform, dataset_count FROM marts.portals "
                               "WHERE run_id = ? AND credited ORDER BY geoid, portal_host", rid), "geoid")
    # The home page as this run archived it: when, which bytes (SHA-256), in which WARC file (the crawl may
    # have archived it again: the first fetch's file, the home page step's).
    homes = {r["geoid"]: r for r in rows(con, """
        SELECT h.geoid, h.final_url, h.fetched_at, h.sha256, arg_min(f.warc_file, f.fetched_at) AS warc_file
        FROM raw.homepages h
        LEFT JOIN ops.fetch_log f ON f.run_id = h.run_id AND f.final_url = h.final_url AND f.sha256 = h.sha256
        WHERE h.run_id = ? AND h.outcome = 'ok' AND h.sha256 IS NOT NULL
        GROUP BY ALL""", rid)}
    for c in cities:   # where staff go next: the city's own website and the portals credited to it
        site = sites.get(c["geoid"], {})
        c["website_url"], c["homepage_outcome"] = site.get("website_url"), site.get("homepage_outcome")
        c["portals"] = portals.get(c["geoid"], [])
        c["archived_home"] = homes.get(c["geoid"])
    targets = _targets(con, run)
    exports, export_text = export_rows(con, run)
    for t in targets:
        t["why_links"] = parse_links(t.get("why_call_links"))
    crit = rows(con, "SELECT criterion_id, practice, practice_name, criterion_name AS name, core, training_topic, "
                     "observable FROM marts.criteria WHERE run_id = ? ORDER BY rowid", rid)
    practices: dict[str, str] = {}
    for c in crit:
        practices.setdefault(c["practice"], c["practice_name"] or c["practice"])
    order = {c["criterion_id"]: i for i, c in enumerate(crit)}
    scores = rows(con, """
        SELECT s.geoid, s.criterion_id, s.practice, s.probability, s.coverage, s.core, s.evidence_count,
               c.criterion_name AS name, c.training_topic, s.correction_id, s.attested_met, s.attested_by,
               s.attested_on, s.attested_source, s.probability_web, s.prior, s.met_probability, c.prerequisites,
               (SELECT any_value(o.note) FROM ops.corrections o
                WHERE o.run_id = s.run_id AND o.correction_id = s.correction_id) AS attested_note
        FROM marts.criterion_scores s
        LEFT JOIN marts.criteria c ON c.run_id = s.run_id AND c.criterion_id = s.criterion_id
        WHERE s.run_id = ?""", rid)
    scores.sort(key=lambda s: (s["geoid"], order.get(s["criterion_id"], len(order)), s["criterion_id"]))
    # The same explanation as marts.criterion_evidence_latest, for this run: the weights the scores used.
    # SELECT *: a file published before not_read existed keeps its older macro until the next run.
    signals = columns_or_none(con.execute("""
        SELECT * FROM marts.criterion_evidence_of(?)
        ORDER BY geoid, criterion_id, contribution DESC NULLS LAST, signal""", rid), _SIGNAL_COLUMNS)
    by_criterion: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for s in signals:
        by_criterion.setdefault((s["geoid"], s["criterion_id"]), []).append(s)
    evidence = rows(con, "SELECT * FROM marts.evidence WHERE run_id = ? "
                         "ORDER BY geoid, confidence DESC, kind, url", rid)
    for e in evidence:
        e["criteria_list"] = [c for c in (e.get("criteria") or "").split(";") if c]
    history = rows(con, """
        WITH runs AS (
            SELECT run_id FROM ops.runs WHERE status = 'success' AND snapshot <= ?
            QUALIFY row_number() OVER (PARTITION BY snapshot ORDER BY finished_at DESC) = 1)
        SELECT i.geoid, i.snapshot, i.expected_points, i.max_points, i.p_silver_or_better
        FROM marts.city_index i JOIN runs USING (run_id) ORDER BY i.geoid, i.snapshot""", [run.snapshot])
    validation = rows(con, "SELECT metric, k, value, n, positives, detail, is_sample FROM marts.validation "
                           "WHERE run_id = ? ORDER BY metric, k, detail", rid)
    calibration = rows(con, "SELECT fold, model, metric, value, n, positives, detail FROM marts.calibration "
                            "WHERE run_id = ? AND fold IN ('pooled', 'all') ORDER BY metric, model", rid)
    return ReportData(run=run, cities=cities, targets=targets, practices=practices,
                      criteria=_group(scores, "geoid"), signals=by_criterion,
                      evidence=_group(evidence, "geoid"), history=_group(history, "geoid"),
                      validation=validation, calibration=calibration, trend=_trend(con, run),
                      exports=exports, export_text=export_text)
