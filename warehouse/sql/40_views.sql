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

CREATE OR REPLACE VIEW marts.portal_profiles_latest AS
SELECT p.* FROM marts.portal_profiles p JOIN ops.latest_run r USING (run_id)
WHERE p.outcome IN ('found', 'partial');
