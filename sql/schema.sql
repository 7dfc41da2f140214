-- shikong database schema. Applied on every open; every statement is idempotent.

-- Key/value facts about the database: schema version, data version, build parameters.
CREATE TABLE IF NOT EXISTS meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

-- Kinds of service objects and how a month's statistic is computed for each.
CREATE TABLE IF NOT EXISTS kinds (
    kind     VARCHAR PRIMARY KEY,
    unit     VARCHAR NOT NULL,   -- person | facility | organization | event
    name_zh  VARCHAR NOT NULL,
    name_en  VARCHAR NOT NULL,
    is_event BOOLEAN NOT NULL    -- events count within the month, the rest as of month end
);

-- Administrative divisions (GB/T 2260) with their boundary. A code may have several
-- versions over time (撤县设区, merges); the current one has valid_to IS NULL.
CREATE TABLE IF NOT EXISTS divisions (
    code            INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    name            VARCHAR NOT NULL,
    level           VARCHAR NOT NULL,  -- official level: province | prefecture | county
    parent_code     INTEGER,
    depth           TINYINT NOT NULL,  -- 1 province; a 省直辖县级 city has depth 2
    is_leaf         BOOLEAN NOT NULL,
    -- This division's representative in the partition at each level (itself when it is a
    -- leaf above that level): the GROUP BY keys of every statistic.
    province_code   INTEGER NOT NULL,
    prefecture_code INTEGER NOT NULL,
    county_code     INTEGER NOT NULL,
    centroid_lon    DOUBLE NOT NULL,
    centroid_lat    DOUBLE NOT NULL,
    min_lon         DOUBLE NOT NULL,
    min_lat         DOUBLE NOT NULL,
    max_lon         DOUBLE NOT NULL,
    max_lat         DOUBLE NOT NULL,
    area_km2        DOUBLE NOT NULL,
    population      UBIGINT,           -- estimated residents (census provinces × county proxy)
    valid_from      DATE NOT NULL,
    valid_to        DATE,
    geometry        VARCHAR NOT NULL,  -- GeoJSON geometry, longitude/latitude
    PRIMARY KEY (code, version)
);

-- Division code changes (old code → new code from a date), so records declared under an
-- old code land in today's division.
CREATE TABLE IF NOT EXISTS division_code_changes (
    old_code       INTEGER NOT NULL,
    new_code       INTEGER NOT NULL,
    effective_date DATE NOT NULL,
    reason         VARCHAR,
    PRIMARY KEY (old_code, new_code, effective_date)
);
-- The retired code's name, for statistics by the divisions of their month (added in place:
-- databases built before it keep their data).
ALTER TABLE division_code_changes ADD COLUMN IF NOT EXISTS old_name VARCHAR;

-- The batch ledger: every load of records (generated, ingested or imported), whether it
-- landed or not. A batch lands whole (one transaction) or not at all.
CREATE TABLE IF NOT EXISTS batches (
    batch_id      UBIGINT PRIMARY KEY,
    source        VARCHAR NOT NULL,  -- synthetic | cli | api
    description   VARCHAR,
    kind          VARCHAR,
    province_code INTEGER,           -- the declaring province of an ingested slice
    month         VARCHAR,           -- the slice's month (YYYY-MM), if declared
    file_name     VARCHAR,
    format        VARCHAR,
    encoding      VARCHAR,
    datum         VARCHAR,
    rows_total    UBIGINT NOT NULL,
    rows_accepted UBIGINT NOT NULL,
    rows_rejected UBIGINT NOT NULL,
    rows_flagged  UBIGINT NOT NULL,
    checksum      VARCHAR,           -- SHA-256 of the file's bytes
    status        VARCHAR NOT NULL,  -- running | committed | rejected | replaced | interrupted | checked
    replaced_by   UBIGINT,
    created_by    VARCHAR NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP
);

-- Every rejected row and every finding of a batch (问题数据反馈). Values of personal fields
-- are masked before they get here.
CREATE TABLE IF NOT EXISTS batch_problems (
    batch_id      UBIGINT NOT NULL,
    line          UBIGINT NOT NULL,  -- 0: the file as a whole
    field         VARCHAR NOT NULL,
    value         VARCHAR NOT NULL,
    code          VARCHAR NOT NULL,
    severity      VARCHAR NOT NULL,  -- error | finding
    detail        VARCHAR NOT NULL,
    declared_code INTEGER
);

-- Counts a province declares for a kind and month (部省对账), with an optional
-- order-independent checksum of the records' hashed ID numbers.
CREATE TABLE IF NOT EXISTS declarations (
    province_code INTEGER NOT NULL,
    kind          VARCHAR NOT NULL,
    month         VARCHAR NOT NULL,
    declared      UBIGINT NOT NULL,
    checksum      VARCHAR,
    declared_by   VARCHAR NOT NULL,
    declared_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (province_code, kind, month)
);

-- Reference lists uploaded for comparison (e.g. a death register): hashed ID numbers with a
-- date.
CREATE TABLE IF NOT EXISTS reference_lists (
    list_id       UBIGINT NOT NULL,
    name          VARCHAR NOT NULL,
    person_hash   VARCHAR NOT NULL,
    person_masked VARCHAR NOT NULL,
    event_date    DATE NOT NULL
);

-- People, organizations and events (服务对象). Raw ID numbers are never stored: only an
-- HMAC-SHA256 keyed hash and a masked form.
CREATE TABLE IF NOT EXISTS service_objects (
    id            UBIGINT NOT NULL,
    kind          VARCHAR NOT NULL,
    lon           DOUBLE NOT NULL,
    lat           DOUBLE NOT NULL,
    declared_code INTEGER NOT NULL,
    county_code   INTEGER,           -- geometric leaf division; NULL = outside every boundary
    h3            UBIGINT,           -- H3 cell at resolution 9
    valid_from    DATE NOT NULL,
    valid_to      DATE,              -- exclusive; NULL = still in force
    person_hash   VARCHAR,
    person_masked VARCHAR,
    credit_code   VARCHAR,
    attrs         VARCHAR NOT NULL,  -- JSON object of kind-specific fields
    batch_id      UBIGINT NOT NULL
);

-- Service facilities (养老机构, 救助管理机构, 殡葬服务机构): public points with capacity.
CREATE TABLE IF NOT EXISTS facilities (
    id            UBIGINT NOT NULL,
    kind          VARCHAR NOT NULL,
    name          VARCHAR NOT NULL,
    credit_code   VARCHAR NOT NULL,
    lon           DOUBLE NOT NULL,
    lat           DOUBLE NOT NULL,
    declared_code INTEGER NOT NULL,
    county_code   INTEGER,
    h3            UBIGINT,
    capacity      UINTEGER NOT NULL,
    occupied      UINTEGER NOT NULL,
    valid_from    DATE NOT NULL,
    valid_to      DATE,
    batch_id      UBIGINT NOT NULL
);

-- Rows each batch delivered per declared division, and how many of them had an error: the
-- validity part of the quality score, also for batches that were rejected (their rows are
-- not stored).
CREATE TABLE IF NOT EXISTS batch_division_rows (
    batch_id      UBIGINT NOT NULL,
    declared_code INTEGER NOT NULL,
    rows_total    UBIGINT NOT NULL,
    rows_rejected UBIGINT NOT NULL
);

-- The ledger of uploaded reference lists (one row per list; its people are in
-- reference_lists).
CREATE TABLE IF NOT EXISTS reference_list_ledger (
    list_id     UBIGINT PRIMARY KEY,
    name        VARCHAR NOT NULL,
    rows_total  UBIGINT NOT NULL,
    checksum    VARCHAR NOT NULL,  -- SHA-256 of the file's bytes
    created_by  VARCHAR NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

-- Aggregates computed by a distributed engine over an export (shikong import-stats): records
-- per leaf county, kind and month as that engine counted them, per source.
CREATE TABLE IF NOT EXISTS imported_stats (
    source      VARCHAR NOT NULL,
    county_code INTEGER,            -- NULL: outside every boundary
    kind        VARCHAR NOT NULL,
    month       VARCHAR NOT NULL,
    records     UBIGINT NOT NULL,
    imported_at TIMESTAMP NOT NULL
);

-- Users of the API and web (issue: access control). The token is shown once at creation;
-- only its argon2id hash is kept. token_id is the token's public prefix, for lookup.
CREATE TABLE IF NOT EXISTS users (
    name       VARCHAR PRIMARY KEY,
    role       VARCHAR NOT NULL,   -- viewer | caseworker | admin
    scope      VARCHAR NOT NULL,   -- 000000 (the ministry) or a division code
    token_id   VARCHAR NOT NULL,
    token_hash VARCHAR NOT NULL,   -- argon2id, PHC string
    created_by VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

-- The audit log, append-only (the code has no UPDATE or DELETE on it): reads of
-- person-level data, writes, sign-ins, refused and failed authentication.
CREATE SEQUENCE IF NOT EXISTS audit_ids;
CREATE TABLE IF NOT EXISTS audit_log (
    id        UBIGINT PRIMARY KEY DEFAULT nextval('audit_ids'),
    logged_at TIMESTAMP NOT NULL,
    user_name VARCHAR,            -- NULL: no valid credentials
    role      VARCHAR,
    scope     VARCHAR,
    event     VARCHAR NOT NULL,   -- read | write | login | denied | auth_failed
    method    VARCHAR NOT NULL,
    path      VARCHAR NOT NULL,
    filter    VARCHAR NOT NULL,   -- the query string as sent
    status    USMALLINT NOT NULL,
    rows      UBIGINT,            -- person-level rows returned, when known
    client    VARCHAR             -- peer address
);
