-- Build this run's marts from its raw rows. $run_id is bound by warehouse.publish.
INSERT INTO marts.cities BY NAME
SELECT c.snapshot, c.run_id, c.geoid, c.name AS city, c.state_abbr AS state, c.legal_name, c.state_fips,
       c.place_fips, c.state_name, c.population, c.population_year,
       -- The website its home page fetch settled on, when that is not the precedence choice.
       coalesce(w.url, c.website_url) AS website_url,
       CASE WHEN w.url IS NULL THEN c.website_match ELSE w.source END AS website_match,
       c.website_lookup, c.wikidata_qid, h.outcome AS homepage_outcome, h.status AS homepage_status, c.is_sample,
       coalesce(c.kind, 'place') AS kind
FROM staging.cities c
LEFT JOIN raw.homepages h ON h.run_id = c.run_id AND h.geoid = c.geoid
LEFT JOIN marts.city_websites w ON w.run_id = c.run_id AND w.geoid = c.geoid AND w.winner AND NOT w.chosen
WHERE c.run_id = $run_id
ORDER BY c.geoid;
