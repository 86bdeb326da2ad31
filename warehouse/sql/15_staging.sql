CREATE TABLE IF NOT EXISTS staging.cities (
    snapshot        DATE      NOT NULL,
    run_id          VARCHAR   NOT NULL,
    geoid           VARCHAR   NOT NULL,
    name            VARCHAR,
    legal_name      VARCHAR,
    state_abbr      VARCHAR,
    state_fips      VARCHAR,
    place_fips      VARCHAR,
    state_name      VARCHAR,
    population      BIGINT,
    population_year INTEGER,
    sumlev          VARCHAR,
    funcstat        VARCHAR,
    source          VARCHAR,
    website_url     VARCHAR,
    website_match   VARCHAR,
    website_lookup  VARCHAR,
    website_candidates INTEGER,
    wikidata_qid    VARCHAR,
    is_sample       BOOLEAN,
    kind            VARCHAR,
    county_fips     VARCHAR,
    cousub_fips     VARCHAR
);

CREATE TABLE IF NOT EXISTS staging.portal_probes (
    snapshot       DATE      NOT NULL,
    run_id         VARCHAR   NOT NULL,
    geoid          VARCHAR   NOT NULL,
    portal_host    VARCHAR   NOT NULL,
    discovered_via VARCHAR,
    confidence     DOUBLE,
    leads          VARCHAR,
    platform       VARCHAR,
    outcome        VARCHAR   NOT NULL,
    detail         VARCHAR
);

CREATE TABLE IF NOT EXISTS staging.portal_registry_reads (
    snapshot DATE      NOT NULL,
    run_id   VARCHAR   NOT NULL,
    registry VARCHAR   NOT NULL,
    geoid    VARCHAR,
    outcome  VARCHAR   NOT NULL,
    detail   VARCHAR,
    entries  INTEGER,
    requests INTEGER,
    matches  INTEGER
);

CREATE TABLE IF NOT EXISTS staging.crawl_pages (
    snapshot       DATE      NOT NULL,
    run_id         VARCHAR   NOT NULL,
    geoid          VARCHAR   NOT NULL,
    url            VARCHAR   NOT NULL,
    final_url      VARCHAR,
    depth          INTEGER,
    priority       DOUBLE,
    found_via      VARCHAR,
    outcome        VARCHAR   NOT NULL,
    status         INTEGER,
    content_type   VARCHAR,
    doc_kind       VARCHAR,
    bytes          BIGINT,
    sha256         VARCHAR,
    fetched_at     VARCHAR,
    pdf_pages      INTEGER,
    extract_error  VARCHAR,
    evidence_kinds VARCHAR,
    duplicate_of   VARCHAR,
    aliases        VARCHAR,
    verified_at    VARCHAR,
    revisit        VARCHAR,
    carried_from_run VARCHAR,
    likely_kinds   VARCHAR,
    not_read       VARCHAR
);

CREATE TABLE IF NOT EXISTS staging.crawl_summaries (
    snapshot       DATE      NOT NULL,
    run_id         VARCHAR   NOT NULL,
    geoid          VARCHAR   NOT NULL,
    seed_url       VARCHAR,
    pages_fetched  INTEGER,
    pages_ok       INTEGER,
    bytes          BIGINT,
    robots_blocked INTEGER,
    unreachable    INTEGER,
    queued_left    INTEGER,
    stopped_by     VARCHAR,
    evidence_rows  INTEGER,
    kinds_found    VARCHAR,
    seconds        DOUBLE,
    pages_carried  INTEGER
);

CREATE TABLE IF NOT EXISTS staging.city_signals (
    snapshot DATE      NOT NULL,
    run_id   VARCHAR   NOT NULL,
    geoid    VARCHAR   NOT NULL,
    signal   VARCHAR   NOT NULL,
    value    DOUBLE    NOT NULL,
    observed BOOLEAN   NOT NULL,
    source   VARCHAR,
    not_read VARCHAR
);

CREATE TABLE IF NOT EXISTS staging.certified_cities (
    snapshot       DATE      NOT NULL,
    run_id         VARCHAR   NOT NULL,
    city           VARCHAR   NOT NULL,
    state          VARCHAR   NOT NULL,
    tier           VARCHAR   NOT NULL,
    year           INTEGER,
    geoid          VARCHAR,
    match          VARCHAR,
    source_outcome VARCHAR
);

CREATE TABLE IF NOT EXISTS staging.wwc_partners (
    snapshot  DATE      NOT NULL,
    run_id    VARCHAR   NOT NULL,
    city      VARCHAR   NOT NULL,
    state     VARCHAR   NOT NULL,
    announced DATE,
    url       VARCHAR   NOT NULL,
    geoid     VARCHAR,
    match     VARCHAR
);

CREATE TABLE IF NOT EXISTS staging.wwc_partner_announcements (
    snapshot     DATE      NOT NULL,
    run_id       VARCHAR   NOT NULL,
    url          VARCHAR   NOT NULL,
    announced    DATE,
    outcome      VARCHAR   NOT NULL,
    cities_named INTEGER
);
