CREATE OR REPLACE VIEW ops.latest_run AS
SELECT * FROM ops.runs
WHERE status = 'success'
ORDER BY snapshot DESC, finished_at DESC
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
