CREATE TABLE IF NOT EXISTS marts.cities (
    snapshot         DATE      NOT NULL,
    run_id           VARCHAR   NOT NULL,
    geoid            VARCHAR   NOT NULL,
    city             VARCHAR   NOT NULL,
    state            VARCHAR   NOT NULL,
    legal_name       VARCHAR,
    state_fips       VARCHAR   NOT NULL,
    place_fips       VARCHAR,
    state_name       VARCHAR,
    population       BIGINT    NOT NULL,
    population_year  INTEGER,
    website_url      VARCHAR,
    website_match    VARCHAR,
    website_lookup   VARCHAR,
    wikidata_qid     VARCHAR,
    homepage_outcome VARCHAR,
    homepage_status  INTEGER,
    is_sample        BOOLEAN   NOT NULL,
    kind             VARCHAR   NOT NULL,
    -- Deprecated names of city and state, kept for one schema release (warehouse/schema_changes.yaml).
    name             VARCHAR,
    state_abbr       VARCHAR
);

CREATE TABLE IF NOT EXISTS marts.portals (
    snapshot                  DATE      NOT NULL,
    run_id                    VARCHAR   NOT NULL,
    geoid                     VARCHAR   NOT NULL,
    portal_host               VARCHAR   NOT NULL,
    platform                  VARCHAR   NOT NULL,
    platform_version          VARCHAR,
    site_title                VARCHAR,
    scope                     VARCHAR   NOT NULL,
    scope_reason              VARCHAR,
    credited                  BOOLEAN   NOT NULL,
    discovered_via            VARCHAR,
    confidence                DOUBLE,
    outcome                   VARCHAR   NOT NULL,
    detail                    VARCHAR,
    pages                     INTEGER,
    paging                    VARCHAR,
    reported_total            BIGINT,
    dataset_count             BIGINT,
    updated_90d_share         DOUBLE,
    updated_365d_share        DOUBLE,
    median_days_since_update  DOUBLE,
    updated_after_as_of       INTEGER,
    described_share           DOUBLE,
    licensed_share            DOUBLE,
    contact_share             DOUBLE,
    tagged_share              DOUBLE,
    column_descriptions_share DOUBLE,
    machine_readable_share    DOUBLE,
    api_share                 DOUBLE,
    departments               INTEGER,
    has_data_inventory        BOOLEAN,
    has_open_data_policy      BOOLEAN,
    performance_datasets      INTEGER,
    flagged_records           INTEGER
);

CREATE TABLE IF NOT EXISTS marts.city_websites (
    snapshot           DATE      NOT NULL,
    run_id             VARCHAR   NOT NULL,
    geoid              VARCHAR   NOT NULL,
    source             VARCHAR   NOT NULL,
    precedence         INTEGER   NOT NULL,
    url                VARCHAR   NOT NULL,
    registrable_domain VARCHAR,
    chosen             BOOLEAN   NOT NULL,
    disagreement       BOOLEAN   NOT NULL,
    answered           BOOLEAN,
    final_url          VARCHAR,
    final_domain       VARCHAR,
    moved              BOOLEAN,
    winner             BOOLEAN,
    settled_by         VARCHAR
);

CREATE TABLE IF NOT EXISTS marts.portal_datasets (
    snapshot         DATE      NOT NULL,
    run_id           VARCHAR   NOT NULL,
    portal_host      VARCHAR   NOT NULL,
    platform         VARCHAR   NOT NULL,
    dataset_id       VARCHAR,
    title            VARCHAR,
    type             VARCHAR,
    updated_at       TIMESTAMP,
    department       VARCHAR,
    has_description  BOOLEAN,
    license          VARCHAR,
    formats          VARCHAR,
    machine_readable BOOLEAN,
    issues           VARCHAR
);

CREATE TABLE IF NOT EXISTS marts.evidence (
    snapshot          DATE      NOT NULL,
    run_id            VARCHAR   NOT NULL,
    geoid             VARCHAR   NOT NULL,
    url               VARCHAR   NOT NULL,
    kind              VARCHAR   NOT NULL,
    criteria          VARCHAR,
    confidence        DOUBLE    NOT NULL,
    snippet           VARCHAR,
    score             DOUBLE,
    rule_hits         VARCHAR,
    fetched_at        VARCHAR,
    content_hash      VARCHAR   NOT NULL,
    extractor_version VARCHAR   NOT NULL,
    verified_at       VARCHAR,
    carried           BOOLEAN,
    fetch_id          VARCHAR
);

CREATE TABLE IF NOT EXISTS marts.criteria (
    snapshot       DATE      NOT NULL,
    run_id         VARCHAR   NOT NULL,
    criterion_id   VARCHAR   NOT NULL,
    practice       VARCHAR   NOT NULL,
    practice_name  VARCHAR,
    criterion_name VARCHAR,
    core           BOOLEAN,
    observable     VARCHAR,
    prior          DOUBLE,
    prerequisites  VARCHAR,
    training_topic VARCHAR,
    standard       VARCHAR,
    name           VARCHAR   -- deprecated: criterion_name
);

CREATE TABLE IF NOT EXISTS marts.criterion_signal_weights (
    snapshot     DATE      NOT NULL,
    run_id       VARCHAR   NOT NULL,
    criterion_id VARCHAR   NOT NULL,
    signal       VARCHAR   NOT NULL,
    weight       DOUBLE    NOT NULL
);

-- The weights the published scores used: the catalog's when the run scored with them (calibration_fold
-- NULL), else one set per fold of the cross-fitted calibration, matched to a city by
-- marts.city_index.calibration_fold. Stored, not recomputed from marts.calibration_params, so an
-- explanation reproduces the score exactly (the parameters there are rounded for reading).
CREATE TABLE IF NOT EXISTS marts.criterion_signal_weights_used (
    snapshot         DATE      NOT NULL,
    run_id           VARCHAR   NOT NULL,
    calibration_fold VARCHAR,
    criterion_id     VARCHAR   NOT NULL,
    signal           VARCHAR   NOT NULL,
    weight           DOUBLE    NOT NULL,
    catalog_weight   DOUBLE    NOT NULL
);

-- The tiers a run's odds were computed against: a predicted tier traced in SQL needs the points, not only
-- the bands' name in ops.runs.config_json.
CREATE TABLE IF NOT EXISTS marts.tier_bands (
    snapshot      DATE      NOT NULL,
    run_id        VARCHAR   NOT NULL,
    standard      VARCHAR   NOT NULL,
    bands         VARCHAR   NOT NULL,
    tier          VARCHAR   NOT NULL,
    share         DOUBLE    NOT NULL,
    points_needed INTEGER   NOT NULL,
    max_points    INTEGER   NOT NULL,
    core_criteria VARCHAR
);

CREATE TABLE IF NOT EXISTS marts.criterion_scores (
    snapshot        DATE      NOT NULL,
    run_id          VARCHAR   NOT NULL,
    geoid           VARCHAR   NOT NULL,
    criterion_id    VARCHAR   NOT NULL,
    practice        VARCHAR,
    probability     DOUBLE    NOT NULL,
    met_probability DOUBLE,
    prior           DOUBLE,
    evidence_count  INTEGER,
    coverage        DOUBLE,
    core            BOOLEAN,
    probability_web DOUBLE,
    correction_id   INTEGER,
    attested_met    BOOLEAN,
    attested_by     VARCHAR,
    attested_on     VARCHAR,
    attested_source VARCHAR
);

CREATE TABLE IF NOT EXISTS marts.city_index (
    snapshot            DATE      NOT NULL,
    run_id              VARCHAR   NOT NULL,
    geoid               VARCHAR   NOT NULL,
    city                VARCHAR,
    state               VARCHAR,
    population          BIGINT,
    expected_points     DOUBLE    NOT NULL,
    max_points          INTEGER   NOT NULL,
    score_pct           DOUBLE,
    p_silver_or_better  DOUBLE    NOT NULL,
    p_gold_or_better    DOUBLE    NOT NULL,
    p_platinum          DOUBLE    NOT NULL,
    predicted_tier      VARCHAR   NOT NULL,
    points_to_next_tier INTEGER,
    coverage            DOUBLE,
    certified_tier      VARCHAR,
    top_gaps            VARCHAR,
    next_tier           VARCHAR,
    p_next_tier         DOUBLE,
    p_next_tier_if_gaps_closed DOUBLE,
    wwc_partner         BOOLEAN,
    blocked_by_core     VARCHAR,
    scored_with         VARCHAR,
    calibration_fold    VARCHAR,
    expected_points_catalog DOUBLE,
    predicted_tier_catalog  VARCHAR,
    outreach_status     VARCHAR,
    outreach_note       VARCHAR,
    why_call            VARCHAR,
    why_call_links      VARCHAR,
    corrections_applied INTEGER,
    expected_points_web DOUBLE,
    p_silver_or_better_web DOUBLE,
    predicted_tier_web  VARCHAR
);

CREATE TABLE IF NOT EXISTS marts.validation (
    snapshot  DATE      NOT NULL,
    run_id    VARCHAR   NOT NULL,
    metric    VARCHAR   NOT NULL,
    k         INTEGER,
    value     DOUBLE,
    n         INTEGER,
    positives INTEGER,
    detail    VARCHAR,
    is_sample BOOLEAN
);

CREATE TABLE IF NOT EXISTS marts.calibration (
    snapshot  DATE      NOT NULL,
    run_id    VARCHAR   NOT NULL,
    fold      VARCHAR   NOT NULL,
    model     VARCHAR   NOT NULL,
    metric    VARCHAR   NOT NULL,
    value     DOUBLE,
    n         INTEGER,
    positives INTEGER,
    detail    VARCHAR,
    is_sample BOOLEAN
);

CREATE TABLE IF NOT EXISTS marts.calibration_params (
    snapshot           DATE      NOT NULL,
    run_id             VARCHAR   NOT NULL,
    fold               VARCHAR,
    practice           VARCHAR   NOT NULL,
    weight_power       DOUBLE    NOT NULL,
    prior_shift        DOUBLE    NOT NULL,
    weight_0_5_becomes DOUBLE,
    prior_0_1_becomes  DOUBLE,
    n                  INTEGER,
    positives          INTEGER
);

-- What changed per run and city since the city's previous snapshot: rows of the macro
-- marts.city_changes_of, stored when a run is published (and recomputed for later runs when a backfill
-- gives them a new previous snapshot).
CREATE TABLE IF NOT EXISTS marts.city_changes (
    snapshot                  DATE,
    run_id                    VARCHAR NOT NULL,
    geoid                     VARCHAR NOT NULL,
    city                      VARCHAR,
    state                     VARCHAR,
    previous_snapshot         DATE,
    previous_run_id           VARCHAR,
    points_change             DOUBLE,
    next_tier                 VARCHAR,
    p_next_tier_change        DOUBLE,
    p_silver_or_better_change DOUBLE,
    evidence_gained           VARCHAR,
    evidence_lost             VARCHAR,
    evidence_not_reread       VARCHAR,
    change_summary            VARCHAR
);
