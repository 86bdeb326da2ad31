CREATE TABLE IF NOT EXISTS ops.runs (
    run_id         VARCHAR   NOT NULL,
    snapshot       DATE      NOT NULL,
    mode           VARCHAR   NOT NULL,
    is_sample      BOOLEAN   NOT NULL,
    status         VARCHAR   NOT NULL,
    started_at     TIMESTAMP,
    finished_at    TIMESTAMP,
    cdpi_version   VARCHAR,
    config_json    VARCHAR,
    warc_files     VARCHAR[],
    replay_sources VARCHAR[],
    city_count     BIGINT,
    fetch_count    BIGINT,
    quarantined    BIGINT,
    replay_unreadable_records BIGINT,
    replay_archives_json VARCHAR
);

CREATE TABLE IF NOT EXISTS ops.fetch_log (
    snapshot       DATE      NOT NULL,
    run_id         VARCHAR   NOT NULL,
    url            VARCHAR,
    final_url      VARCHAR,
    host           VARCHAR,
    method         VARCHAR,
    status         INTEGER,
    outcome        VARCHAR,
    bytes          BIGINT,
    elapsed_ms     DOUBLE,
    attempts       INTEGER,
    from_cache     BOOLEAN,
    robots_blocked BOOLEAN,
    error          VARCHAR,
    fetched_at     VARCHAR,
    redirects      INTEGER,
    content_type   VARCHAR,
    sha256         VARCHAR,
    warc_file      VARCHAR,
    fetch_id       VARCHAR
);

CREATE TABLE IF NOT EXISTS ops.quarantine (
    snapshot    DATE      NOT NULL,
    run_id      VARCHAR   NOT NULL,
    suite       VARCHAR,
    key         VARCHAR,
    expectation VARCHAR,
    "column"    VARCHAR,
    reason      VARCHAR,
    row_json    VARCHAR
);

CREATE TABLE IF NOT EXISTS ops.run_failures (
    run_id    VARCHAR NOT NULL,
    failed_at TIMESTAMP NOT NULL,
    job_name  VARCHAR,
    step      VARCHAR,
    error     VARCHAR,
    status    VARCHAR,
    snapshot  DATE,
    mode      VARCHAR
);

CREATE TABLE IF NOT EXISTS ops.corrections (
    snapshot      DATE      NOT NULL,
    run_id        VARCHAR   NOT NULL,
    correction_id INTEGER   NOT NULL,
    geoid         VARCHAR   NOT NULL,
    city          VARCHAR,
    state         VARCHAR,
    criterion_id  VARCHAR   NOT NULL,
    met           BOOLEAN   NOT NULL,
    source_url    VARCHAR   NOT NULL,
    note          VARCHAR,
    attested_by   VARCHAR   NOT NULL,
    recorded_at   VARCHAR   NOT NULL,
    standard      VARCHAR,
    status        VARCHAR   NOT NULL,
    expires_at    VARCHAR,
    withdrawn_at  VARCHAR,
    withdrawn_by  VARCHAR,
    withdraw_note VARCHAR,
    applied       BOOLEAN   NOT NULL
);

CREATE TABLE IF NOT EXISTS ops.fetch_summary (
    snapshot    DATE      NOT NULL,
    run_id      VARCHAR   NOT NULL,
    outcome     VARCHAR,
    fetches     BIGINT,
    hosts       BIGINT,
    bytes       BIGINT,     -- a sum, but BIGINT: pandas reads a HUGEINT as a float
    attempts    BIGINT,
    from_cache  BIGINT,
    median_ms   DOUBLE
);
