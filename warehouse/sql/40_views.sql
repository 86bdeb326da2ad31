-- THE definition of "the current run", used by every view, the report, the export and the CLI: among
-- successful runs (of one month when `month` is given, of any when NULL), a real run always wins over
-- a sample run, then the newest snapshot, then the run that finished last. `month` is 'YYYY-MM', or the
-- snapshot as tables show it (a DATE, or the text 'YYYY-MM-01'); anything else is an error, never an
-- empty answer that would read as "no run that month".
CREATE OR REPLACE MACRO ops.current_run(month) AS TABLE
WITH wanted AS (
    SELECT CASE
        WHEN month IS NULL THEN NULL
        WHEN regexp_full_match(CAST(month AS VARCHAR), '\d{4}-(0[1-9]|1[0-2])') THEN CAST(month AS VARCHAR)
        WHEN regexp_full_match(CAST(month AS VARCHAR), '\d{4}-(0[1-9]|1[0-2])-01') THEN left(CAST(month AS VARCHAR), 7)
        ELSE error('ops.current_run: month must be ''YYYY-MM'' or the first day of a month (DATE ''YYYY-MM-01'' '
                   || 'or the text ''YYYY-MM-01''), not ''' || CAST(month AS VARCHAR) || '''')
    END AS ym
)
SELECT r.* FROM ops.runs r, wanted w
WHERE r.status = 'success' AND (w.ym IS NULL OR strftime(r.snapshot, '%Y-%m') = w.ym)
ORDER BY r.is_sample, r.snapshot DESC, r.finished_at DESC NULLS LAST
LIMIT 1;

CREATE OR REPLACE VIEW ops.latest_run AS
SELECT r.* FROM ops.runs r SEMI JOIN ops.current_run(NULL) c USING (run_id);

CREATE OR REPLACE VIEW marts.cities_latest AS
SELECT c.* FROM marts.cities c JOIN ops.latest_run r USING (run_id);

CREATE OR REPLACE VIEW marts.fetch_outcomes AS
SELECT run_id, snapshot, outcome, fetches, hosts, CAST(bytes AS BIGINT) AS bytes, CAST(attempts AS BIGINT) AS attempts
FROM ops.fetch_summary;

CREATE OR REPLACE VIEW marts.city_websites_latest AS
SELECT w.* FROM marts.city_websites w JOIN ops.latest_run r USING (run_id);

CREATE OR REPLACE VIEW marts.portals_latest AS
SELECT p.* FROM marts.portals p JOIN ops.latest_run r USING (run_id);

CREATE OR REPLACE VIEW marts.city_portals_latest AS
WITH credited AS (
    SELECT geoid,
           count(*) FILTER (WHERE credited)                                            AS credited_portals,
           string_agg(portal_host, ';' ORDER BY portal_host) FILTER (WHERE credited)   AS credited_hosts,
           string_agg(DISTINCT platform, ';' ORDER BY platform) FILTER (WHERE credited) AS platforms,
           CAST(sum(dataset_count) FILTER (WHERE credited) AS BIGINT)                  AS datasets,
           max(updated_365d_share) FILTER (WHERE credited)                             AS best_updated_365d_share,
           string_agg(portal_host || ' (' || scope || ')', ';' ORDER BY portal_host)
               FILTER (WHERE NOT credited)                                             AS other_portals
    FROM marts.portals_latest GROUP BY geoid
), probes AS (
    SELECT q.geoid, count(*) FILTER (WHERE q.outcome = 'unreachable') AS unreachable_probes
    FROM staging.portal_probes q JOIN ops.latest_run r USING (run_id) GROUP BY q.geoid
)
SELECT c.geoid, c.city, c.state, c.population,
       coalesce(p.credited_portals, 0) AS credited_portals, p.credited_hosts, p.platforms, p.datasets,
       p.best_updated_365d_share, p.other_portals, coalesce(q.unreachable_probes, 0) AS unreachable_probes,
       c.snapshot, c.run_id,
       c.city AS name, c.state AS state_abbr    -- deprecated (warehouse/schema_changes.yaml)
FROM marts.cities_latest c
LEFT JOIN credited p USING (geoid)
LEFT JOIN probes q USING (geoid);

-- One row per evidence row, never more: the WARC file of the fetch the evidence was read from (fetch_id).
-- A run published before fetch_id was recorded matches on final URL and hash, where the same page may be
-- logged more than once (the home page step, then the crawl; a page reached directly and through a
-- redirect) and in more than one WARC file: the first such fetch's file, then the first by name.
CREATE OR REPLACE VIEW marts.evidence_latest AS
SELECT e.*, coalesce(byid.warc_file, first.warc_file) AS warc_file
FROM marts.evidence e      -- first: the view's columns take their descriptions from the first table read
JOIN ops.latest_run r USING (run_id)
LEFT JOIN (SELECT f.fetch_id, f.warc_file FROM ops.fetch_log f JOIN ops.latest_run r USING (run_id)
           WHERE f.fetch_id IS NOT NULL) byid
    ON byid.fetch_id = e.fetch_id
LEFT JOIN (SELECT f.final_url, f.sha256, f.warc_file FROM ops.fetch_log f JOIN ops.latest_run r USING (run_id)
           WHERE f.sha256 IS NOT NULL
           QUALIFY row_number() OVER (PARTITION BY f.final_url, f.sha256
                                      ORDER BY f.fetched_at, f.warc_file NULLS LAST, f.fetch_id) = 1) first
    ON e.fetch_id IS NULL AND first.final_url = e.url AND first.sha256 = e.content_hash;

CREATE OR REPLACE VIEW marts.city_evidence_latest AS
WITH kinds AS (
    SELECT geoid, string_agg(DISTINCT kind, ';' ORDER BY kind) AS kinds,
           count(*) AS evidence_rows, count(DISTINCT url) AS evidence_pages,
           max(confidence) FILTER (WHERE kind = 'open_data_policy')           AS open_data_policy,
           max(confidence) FILTER (WHERE kind = 'open_data_portal')           AS open_data_portal,
           max(confidence) FILTER (WHERE kind = 'performance_reporting')      AS performance_reporting,
           max(confidence) FILTER (WHERE kind = 'evaluation')                 AS evaluation,
           max(confidence) FILTER (WHERE kind = 'data_governance')            AS data_governance,
           max(confidence) FILTER (WHERE kind = 'results_driven_contracting') AS results_driven_contracting,
           max(confidence) FILTER (WHERE kind = 'stakeholder_engagement')     AS stakeholder_engagement
    FROM marts.evidence e JOIN ops.latest_run r USING (run_id) GROUP BY geoid
)
SELECT c.geoid, c.city, c.state, c.population, s.pages_fetched, s.pages_ok, s.robots_blocked,
       s.unreachable, s.stopped_by, k.kinds, coalesce(k.evidence_rows, 0) AS evidence_rows, k.evidence_pages,
       k.open_data_policy, k.open_data_portal, k.performance_reporting, k.evaluation, k.data_governance,
       k.results_driven_contracting, k.stakeholder_engagement, c.snapshot, c.run_id,
       c.city AS name, c.state AS state_abbr    -- deprecated (warehouse/schema_changes.yaml)
FROM marts.cities_latest c
LEFT JOIN (SELECT s.* FROM staging.crawl_summaries s JOIN ops.latest_run r USING (run_id)) s USING (geoid)
LEFT JOIN kinds k USING (geoid);

-- is_sample from the run: a file written from these rows (cdpi targets --out, a CSV export) must say that
-- the built-in sample's cities are made up, wherever the terminal's banner does not follow it.
CREATE OR REPLACE VIEW marts.city_index_latest AS
SELECT i.*, r.is_sample FROM marts.city_index i JOIN ops.latest_run r USING (run_id);

CREATE OR REPLACE VIEW marts.criterion_scores_latest AS
SELECT s.*, c.criterion_name, c.training_topic
FROM marts.criterion_scores s
JOIN ops.latest_run r USING (run_id)
LEFT JOIN marts.criteria c ON c.run_id = s.run_id AND c.criterion_id = s.criterion_id;

-- Why each criterion probability of one run is what it is: per city, criterion and signal, the weight the
-- published score used beside the catalog's, the value and the prior, so that
-- met_probability = min(0.98, 1-(1-prior)*prod(1-weight*value)) can be checked by hand. One definition
-- for the _latest view and the report's city pages. A calibrated run published before the weights used
-- were stored shows no weight (NULL) rather than the catalog's, which its score did not use.
CREATE OR REPLACE MACRO marts.criterion_evidence_of(of_run) AS TABLE
WITH explained AS (
    SELECT s.geoid, s.criterion_id, s.probability, w.signal,
           coalesce(u.weight, CASE WHEN i.scored_with IS DISTINCT FROM 'calibrated' THEN w.weight END) AS weight,
           g.value, g.observed, g.source, s.snapshot, s.run_id, w.weight AS catalog_weight, s.met_probability,
           s.prior, c.prior AS catalog_prior, g.not_read
    FROM marts.criterion_scores s
    LEFT JOIN marts.city_index i ON i.run_id = s.run_id AND i.geoid = s.geoid
    JOIN marts.criterion_signal_weights w ON w.run_id = s.run_id AND w.criterion_id = s.criterion_id
    JOIN staging.city_signals g ON g.run_id = s.run_id AND g.geoid = s.geoid AND g.signal = w.signal
    LEFT JOIN marts.criterion_signal_weights_used u
        ON u.run_id = s.run_id AND u.calibration_fold IS NOT DISTINCT FROM i.calibration_fold
       AND u.criterion_id = w.criterion_id AND u.signal = w.signal
    LEFT JOIN marts.criteria c ON c.run_id = s.run_id AND c.criterion_id = s.criterion_id
    WHERE s.run_id = of_run
)
SELECT geoid, criterion_id, probability, signal, weight, value, observed, source, weight * value AS contribution,
       snapshot, run_id, catalog_weight, met_probability, prior, catalog_prior, not_read
FROM explained;

CREATE OR REPLACE VIEW marts.criterion_evidence_latest AS
SELECT e.* FROM marts.criterion_evidence_of((SELECT run_id FROM ops.latest_run)) e;

-- Per successful run and city: what changed since the city's previous snapshot. Previous = the latest
-- successful run of the latest earlier snapshot, of the same kind (sample runs compare with sample runs),
-- among the runs that finished before this one: a run's previous snapshot is fixed when it is published,
-- so a month published later (a backfill) never changes the changes of runs published before it.
-- A macro of one run (NULL: every run); the publish step stores its rows in the table marts.city_changes
-- (warehouse/publish.py, refresh_changes), so reading changes never recomputes the history.
CREATE OR REPLACE MACRO marts.city_changes_of(of_run) AS TABLE
WITH runs AS (
    SELECT run_id, snapshot, is_sample, finished_at FROM ops.runs WHERE status = 'success'
), pairs AS (
    SELECT r.run_id,
           arg_max(p.run_id, (p.snapshot, coalesce(p.finished_at, TIMESTAMP '0001-01-01'), p.run_id))
               FILTER (WHERE p.run_id IS NOT NULL)                                          AS previous_run_id
    FROM (SELECT * FROM runs WHERE of_run IS NULL OR run_id = of_run) r
    -- A run whose publish time is unknown (NULL) counts as published before every other.
    LEFT JOIN runs p ON r.is_sample = p.is_sample AND p.snapshot < r.snapshot
                    AND coalesce(p.finished_at, TIMESTAMP '0001-01-01')
                        <= coalesce(r.finished_at, TIMESTAMP '9999-12-31')
    GROUP BY r.run_id
), evidence AS (
    SELECT c.run_id, c.geoid,
           string_agg(c.signal, ', ' ORDER BY c.signal)
               FILTER (WHERE c.value > 0 AND coalesce(p.value, 0) <= 0)                 AS evidence_gained,
           string_agg(p.signal, ', ' ORDER BY p.signal)
               FILTER (WHERE p.value > 0 AND coalesce(c.value, 0) <= 0 AND c.observed) AS evidence_lost,
           string_agg(p.signal, ', ' ORDER BY p.signal)
               FILTER (WHERE p.value > 0 AND coalesce(c.value, 0) <= 0
                       AND NOT coalesce(c.observed, false))                              AS evidence_not_reread
    FROM staging.city_signals c
    JOIN pairs USING (run_id)
    JOIN staging.city_signals p
        ON p.run_id = pairs.previous_run_id AND p.geoid = c.geoid AND p.signal = c.signal
    GROUP BY ALL
), changes AS (
    SELECT i.snapshot, i.run_id, i.geoid, i.city, i.state,
           q.snapshot AS previous_snapshot, q.run_id AS previous_run_id,
           round(i.expected_points - q.expected_points, 4)                               AS points_change,
           i.next_tier,
           round(i.p_next_tier - CASE i.next_tier WHEN 'silver' THEN q.p_silver_or_better
                                                  WHEN 'gold' THEN q.p_gold_or_better
                                                  WHEN 'platinum' THEN q.p_platinum END, 4) AS p_next_tier_change,
           round(i.p_silver_or_better - q.p_silver_or_better, 4)                         AS p_silver_or_better_change,
           e.evidence_gained, e.evidence_lost, e.evidence_not_reread
    FROM marts.city_index i
    JOIN pairs USING (run_id)
    LEFT JOIN marts.city_index q ON q.run_id = pairs.previous_run_id AND q.geoid = i.geoid
    LEFT JOIN evidence e ON e.run_id = i.run_id AND e.geoid = i.geoid AND q.geoid IS NOT NULL
)
SELECT *,
       CASE WHEN previous_run_id IS NULL THEN 'first snapshot'
            -- "since ..." first: a cell starting with + or - would be a formula to a spreadsheet
            ELSE printf('since %s: %s pts', strftime(previous_snapshot, '%Y-%m'),
                        CASE WHEN abs(points_change) < 0.05 THEN '±0.0' ELSE printf('%+.1f', points_change) END)
       END                                                                                 AS change_summary
FROM changes;

CREATE OR REPLACE VIEW marts.city_changes_latest AS
SELECT c.* FROM marts.city_changes c JOIN ops.latest_run r USING (run_id);

-- The population bands staff filter by: one definition, for the views, the report and analysts' queries.
CREATE OR REPLACE MACRO marts.population_band(population) AS
    CASE WHEN population < 50000 THEN '30k-50k'
         WHEN population < 100000 THEN '50k-100k'
         WHEN population < 250000 THEN '100k-250k'
         WHEN population < 500000 THEN '250k-500k'
         ELSE '500k+' END;

CREATE OR REPLACE VIEW marts.outreach_targets AS
WITH ranked AS (
    SELECT i.*,
           marts.population_band(i.population)               AS population_band,
           -- from the odds as this view shows them (4 places), so that the columns add up exactly
           round(round(i.p_next_tier_if_gaps_closed, 4) - round(i.p_next_tier, 4), 4) AS push_uplift
    FROM marts.city_index_latest i
    WHERE i.outreach_status = 'target'
)
SELECT row_number() OVER (ORDER BY p_next_tier_if_gaps_closed DESC, p_next_tier DESC, geoid) AS rank,
       geoid, city, state, population, population_band, certified_tier, wwc_partner, predicted_tier, next_tier,
       round(p_next_tier, 4) AS p_next_tier, round(p_next_tier_if_gaps_closed, 4) AS p_next_tier_if_gaps_closed,
       push_uplift, expected_points, points_to_next_tier, coverage,
       -- In the gaps' own order (top_gaps is ranked); an aggregate without ORDER BY may differ between reads.
       (SELECT string_agg(json_extract_string(g.value, '$.criterion_id') || ' ' ||
                          json_extract_string(g.value, '$.name'), '; ' ORDER BY g.key::INTEGER)
        FROM json_each(top_gaps) g
        WHERE coalesce(json_extract(g.value, '$.matters')::BOOLEAN, true))          AS gaps,
       -- Topics by name (gaps written before names were kept: their id).
       (SELECT string_agg(topic, '; ' ORDER BY first_gap)
        FROM (SELECT coalesce(json_extract_string(g.value, '$.training_topic_name'),
                              json_extract_string(g.value, '$.training_topic')) AS topic,
                     min(g.key::INTEGER) AS first_gap
              FROM json_each(top_gaps) g
              WHERE coalesce(json_extract(g.value, '$.matters')::BOOLEAN, true)
              GROUP BY 1))                                                          AS training_topics,
       blocked_by_core, why_call, why_call_links, ch.change_summary,
       top_gaps, outreach_note, scored_with, snapshot, run_id, rs.run_is_sample AS is_sample
FROM ranked
LEFT JOIN (SELECT run_id, geoid, change_summary FROM marts.city_changes_latest) ch USING (run_id, geoid)
-- is_sample from ops.runs, not from the rows read: the report rebuilds the outreach views over an older
-- run's marts.city_index, which has no such column.
LEFT JOIN (SELECT run_id, is_sample AS run_is_sample FROM ops.runs) rs USING (run_id);

CREATE OR REPLACE VIEW marts.outreach_longer_path AS
SELECT geoid, city, state, population, certified_tier, predicted_tier, next_tier,
       round(p_next_tier, 4) AS p_next_tier, round(p_next_tier_if_gaps_closed, 4) AS p_next_tier_if_gaps_closed,
       expected_points, points_to_next_tier, coverage, outreach_note, why_call, top_gaps, snapshot, run_id,
       rs.run_is_sample AS is_sample      -- from ops.runs, as in marts.outreach_targets
FROM marts.city_index_latest
LEFT JOIN (SELECT run_id, is_sample AS run_is_sample FROM ops.runs) rs USING (run_id)
WHERE outreach_status = 'longer_path';

CREATE OR REPLACE VIEW marts.outreach_not_observed AS
SELECT geoid, city, state, population, certified_tier, coverage, outreach_note, snapshot, run_id,
       rs.run_is_sample AS is_sample      -- from ops.runs, as in marts.outreach_targets
FROM marts.city_index_latest
LEFT JOIN (SELECT run_id, is_sample AS run_is_sample FROM ops.runs) rs USING (run_id)
WHERE outreach_status = 'not_observed';

CREATE OR REPLACE VIEW ops.corrections_latest AS
SELECT c.* FROM ops.corrections c JOIN ops.latest_run r USING (run_id);
