-- The fetch log summed per run and outcome, once, when the run is published: a national crawl adds about
-- a million log rows a month, and run-health questions (marts.fetch_outcomes, the analyst guide) read this
-- instead of the whole log. Runs published before the summary existed are summed the first time too.
INSERT INTO ops.fetch_summary BY NAME
SELECT any_value(snapshot) AS snapshot, run_id, outcome, count(*) AS fetches, count(DISTINCT host) AS hosts,
       CAST(sum(bytes) AS BIGINT) AS bytes, CAST(sum(attempts) AS BIGINT) AS attempts,
       count(*) FILTER (WHERE from_cache) AS from_cache,
       median(elapsed_ms) AS median_ms
FROM ops.fetch_log
WHERE run_id = $run_id OR run_id NOT IN (SELECT run_id FROM ops.fetch_summary)
GROUP BY run_id, outcome
ORDER BY run_id, outcome;
