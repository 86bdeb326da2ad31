-- Build this run's marts from its raw rows. $run_id is bound by warehouse.publish.
INSERT INTO marts.cities BY NAME
SELECT c.snapshot, c.run_id, c.geoid, c.name, c.legal_name, c.state_abbr, c.state_fips, c.place_fips,
       c.state_name, c.population, c.population_year, c.website_url, c.website_match, c.website_lookup,
       c.wikidata_qid, h.outcome AS homepage_outcome, h.status AS homepage_status, c.is_sample
FROM staging.cities c
LEFT JOIN raw.homepages h ON h.run_id = c.run_id AND h.geoid = c.geoid
WHERE c.run_id = $run_id
ORDER BY c.geoid;
