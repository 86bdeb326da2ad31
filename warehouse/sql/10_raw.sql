CREATE TABLE IF NOT EXISTS raw.census_places (
    snapshot        DATE      NOT NULL,
    run_id          VARCHAR   NOT NULL,
    geoid           VARCHAR   NOT NULL,
    state_fips      VARCHAR,
    place_fips      VARCHAR,
    name            VARCHAR,
    legal_name      VARCHAR,
    state_abbr      VARCHAR,
    state_name      VARCHAR,
    population      BIGINT,
    population_year INTEGER,
    sumlev          VARCHAR,
    funcstat        VARCHAR,
    source          VARCHAR,
    website         VARCHAR,
    kind            VARCHAR,
    county_fips     VARCHAR,
    cousub_fips     VARCHAR
);

CREATE TABLE IF NOT EXISTS raw.wikidata_websites (
    snapshot   DATE      NOT NULL,
    run_id     VARCHAR   NOT NULL,
    qid        VARCHAR,
    label      VARCHAR,
    fips7      VARCHAR,
    website    VARCHAR,
    state_abbr VARCHAR
);

CREATE TABLE IF NOT EXISTS raw.homepages (
    snapshot     DATE      NOT NULL,
    run_id       VARCHAR   NOT NULL,
    geoid        VARCHAR   NOT NULL,
    url          VARCHAR,
    final_url    VARCHAR,
    outcome      VARCHAR,
    status       INTEGER,
    title        VARCHAR,
    bytes        BIGINT,
    sha256       VARCHAR,
    fetched_at   VARCHAR,
    portal_links VARCHAR
);
