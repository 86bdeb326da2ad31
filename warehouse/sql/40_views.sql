CREATE OR REPLACE VIEW ops.latest_run AS
SELECT * FROM ops.runs
WHERE status = 'success'
ORDER BY is_sample, snapshot DESC, finished_at DESC   -- a real run always wins over sample runs
LIMIT 1;

CREATE OR REPLACE VIEW marts.cities_latest AS
SELECT c.* FROM marts.cities c JOIN ops.latest_run r USING (run_id);

CREATE OR REPLACE VIEW marts.fetch_outcomes AS
SELECT run_id, snapshot, outcome, count(*) AS fetches, count(DISTINCT host) AS hosts,
       sum(bytes) AS bytes, sum(attempts) AS attempts
FROM ops.fetch_log
GROUP BY ALL;

CREATE OR REPLACE VIEW marts.portals_latest AS
SELECT p.* FROM marts.portals p JOIN ops.latest_run r USING (run_id);

CREATE OR REPLACE VIEW marts.city_portals_latest AS
WITH credited AS (
    SELECT geoid,
           count(*) FILTER (WHERE credited)                                            AS credited_portals,
           string_agg(portal_host, ';' ORDER BY portal_host) FILTER (WHERE credited)   AS credited_hosts,
           string_agg(DISTINCT platform, ';' ORDER BY platform) FILTER (WHERE credited) AS platforms,
           sum(dataset_count) FILTER (WHERE credited)                                  AS datasets,
           max(updated_365d_share) FILTER (WHERE credited)                             AS best_updated_365d_share,
           string_agg(portal_host || ' (' || scope || ')', ';' ORDER BY portal_host)
               FILTER (WHERE NOT credited)                                             AS other_portals
    FROM marts.portals_latest GROUP BY geoid
), probes AS (
    SELECT q.geoid, count(*) FILTER (WHERE q.outcome = 'unreachable') AS unreachable_probes
    FROM staging.portal_probes q JOIN ops.latest_run r USING (run_id) GROUP BY q.geoid
)
SELECT c.geoid, c.name, c.state_abbr, c.population,
       coalesce(p.credited_portals, 0) AS credited_portals, p.credited_hosts, p.platforms, p.datasets,
       p.best_updated_365d_share, p.other_portals, coalesce(q.unreachable_probes, 0) AS unreachable_probes
FROM marts.cities_latest c
LEFT JOIN credited p USING (geoid)
LEFT JOIN probes q USING (geoid);

CREATE OR REPLACE VIEW marts.evidence_latest AS
SELECT e.*, f.warc_file
FROM marts.evidence e
JOIN ops.latest_run r USING (run_id)
LEFT JOIN (SELECT DISTINCT run_id, final_url, sha256, warc_file FROM ops.fetch_log WHERE sha256 IS NOT NULL) f
    ON f.run_id = e.run_id AND f.final_url = e.url AND f.sha256 = e.content_hash;

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
SELECT c.geoid, c.name, c.state_abbr, c.population, s.pages_fetched, s.pages_ok, s.robots_blocked,
       s.unreachable, s.stopped_by, k.kinds, coalesce(k.evidence_rows, 0) AS evidence_rows, k.evidence_pages,
       k.open_data_policy, k.open_data_portal, k.performance_reporting, k.evaluation, k.data_governance,
       k.results_driven_contracting, k.stakeholder_engagement
FROM marts.cities_latest c
LEFT JOIN (SELECT s.* FROM staging.crawl_summaries s JOIN ops.latest_run r USING (run_id)) s USING (geoid)
LEFT JOIN kinds k USING (geoid);

CREATE OR REPLACE VIEW marts.city_index_latest AS
SELECT i.* FROM marts.city_index i JOIN ops.latest_run r USING (run_id);

CREATE OR REPLACE VIEW marts.criterion_scores_latest AS
SELECT s.*, c.name AS criterion_name, c.training_topic
FROM marts.criterion_scores s
JOIN ops.latest_run r USING (run_id)
LEFT JOIN marts.criteria c ON c.run_id = s.run_id AND c.criterion_id = s.criterion_id;

CREATE OR REPLACE VIEW marts.criterion_evidence_latest AS
SELECT s.geoid, s.criterion_id, s.probability, w.signal, w.weight, g.value, g.observed, g.source,
       w.weight * g.value AS contribution
FROM marts.criterion_scores s
JOIN ops.latest_run r USING (run_id)
JOIN marts.criterion_signal_weights w ON w.run_id = s.run_id AND w.criterion_id = s.criterion_id
JOIN staging.city_signals g ON g.run_id = s.run_id AND g.geoid = s.geoid AND g.signal = w.signal;

CREATE OR REPLACE VIEW marts.outreach_targets AS
WITH ranked AS (
    SELECT i.*,
           CASE WHEN i.population < 50000 THEN '30k-50k'
                WHEN i.population < 100000 THEN '50k-100k'
                WHEN i.population < 250000 THEN '100k-250k'
                WHEN i.population < 500000 THEN '250k-500k'
                ELSE '500k+' END                               AS population_band,
           i.p_next_tier_if_gaps_closed - i.p_next_tier     AS push_uplift
    FROM marts.city_index_latest i
    WHERE i.outreach_status = 'target'
)
SELECT row_number() OVER (ORDER BY p_next_tier_if_gaps_closed DESC, p_next_tier DESC, geoid) AS rank,
       geoid, city, state, population, population_band, certified_tier, wwc_partner, predicted_tier, next_tier,
       round(p_next_tier, 4) AS p_next_tier, round(p_next_tier_if_gaps_closed, 4) AS p_next_tier_if_gaps_closed,
       round(push_uplift, 4) AS push_uplift, expected_points, points_to_next_tier, coverage,
       (SELECT string_agg(json_extract_string(g.value, '$.criterion_id') || ' ' ||
                          json_extract_string(g.value, '$.name'), '; ')
        FROM json_each(top_gaps) g)                                                 AS gaps,
       (SELECT string_agg(DISTINCT json_extract_string(g.value, '$.training_topic'), '; ')
        FROM json_each(top_gaps) g)                                                 AS training_topics,
       top_gaps, outreach_note, scored_with, snapshot, run_id
FROM ranked;

CREATE OR REPLACE VIEW marts.outreach_longer_path AS
SELECT geoid, city, state, population, certified_tier, predicted_tier, next_tier,
       round(p_next_tier, 4) AS p_next_tier, round(p_next_tier_if_gaps_closed, 4) AS p_next_tier_if_gaps_closed,
       expected_points, points_to_next_tier, coverage, outreach_note, top_gaps, snapshot, run_id
FROM marts.city_index_latest
WHERE outreach_status = 'longer_path';

CREATE OR REPLACE VIEW marts.outreach_not_observed AS
SELECT geoid, city, state, population, certified_tier, coverage, outreach_note, snapshot, run_id
FROM marts.city_index_latest
WHERE outreach_status = 'not_observed';
