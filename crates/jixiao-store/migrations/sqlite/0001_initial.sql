-- jixiao schema, SQLite. The PostgreSQL migration of the same number creates the same tables.
-- Decimals and timestamps are TEXT (exact decimals; RFC 3339 UTC, which sorts as time);
-- booleans are INTEGER 0/1.

CREATE TABLE district (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    code TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT ''
);

CREATE TABLE units (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    parent_code TEXT,
    level TEXT NOT NULL,
    classes TEXT NOT NULL DEFAULT '',
    coefficients TEXT NOT NULL DEFAULT '{}',
    targets TEXT NOT NULL DEFAULT '{}',
    closed_at TEXT,
    merged_into TEXT,
    position INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE schemes (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    version INTEGER NOT NULL,
    year INTEGER NOT NULL,
    kind TEXT NOT NULL,
    title_zh TEXT NOT NULL,
    title_en TEXT NOT NULL DEFAULT '',
    format TEXT NOT NULL,
    content TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    published_at TEXT,
    UNIQUE (code, version)
);

CREATE TABLE periods (
    id INTEGER PRIMARY KEY,
    scheme_code TEXT NOT NULL,
    period TEXT NOT NULL,
    deadline TEXT,
    status TEXT NOT NULL DEFAULT 'open',
    auto_count INTEGER NOT NULL DEFAULT 1,
    version INTEGER NOT NULL DEFAULT 1,
    UNIQUE (scheme_code, period)
);

CREATE TABLE data_values (
    id INTEGER PRIMARY KEY,
    unit_code TEXT NOT NULL,
    element TEXT NOT NULL,
    period TEXT NOT NULL,
    value TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    return_reason TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    source TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (unit_code, element, period)
);
CREATE INDEX data_values_period ON data_values (period, element);

CREATE TABLE evidence (
    id INTEGER PRIMARY KEY,
    owner_kind TEXT NOT NULL,
    owner_id INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    mime TEXT NOT NULL,
    filename TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);
CREATE INDEX evidence_owner ON evidence (owner_kind, owner_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    unit_code TEXT,
    items TEXT,
    must_change_password INTEGER NOT NULL DEFAULT 1,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    unit_code TEXT,
    items TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    data BLOB NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE publications (
    id INTEGER PRIMARY KEY,
    scheme_code TEXT NOT NULL,
    scheme_version INTEGER NOT NULL,
    scheme_hash TEXT NOT NULL,
    period TEXT NOT NULL,
    revision INTEGER NOT NULL,
    org_snapshot TEXT NOT NULL,
    values_snapshot TEXT NOT NULL,
    results TEXT NOT NULL,
    results_hash TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    published_by TEXT NOT NULL,
    published_at TEXT NOT NULL,
    UNIQUE (scheme_code, period, revision)
);

CREATE TABLE appeals (
    id INTEGER PRIMARY KEY,
    publication_id INTEGER NOT NULL REFERENCES publications (id),
    unit_code TEXT NOT NULL,
    indicator TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    resolution TEXT NOT NULL DEFAULT '',
    filed_by TEXT NOT NULL,
    filed_at TEXT NOT NULL,
    resolved_by TEXT,
    resolved_at TEXT,
    republication_id INTEGER,
    version INTEGER NOT NULL DEFAULT 1
);

-- The audit log is append-only: each entry carries the hash of the one before it, and the
-- head row holds the last sequence number and hash. Appending updates the head first, which
-- serialises writers on both databases.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    source TEXT NOT NULL,
    request_id TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before TEXT,
    after TEXT,
    reason TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_entity ON audit_log (entity, entity_id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
