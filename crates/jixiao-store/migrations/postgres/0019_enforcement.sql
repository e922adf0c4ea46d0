-- P13: legality checks of administrative enforcement cases (行政执法案件合法性审查).
-- The legal office's rule file, every version kept (the newest applies).
CREATE TABLE enforcement_rules (
    id BIGSERIAL PRIMARY KEY,
    toml TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    reason TEXT NOT NULL
);

-- A case as the rules need it (no party names): the record is the JSON of
-- jixiao_core::enforcement::Case; the columns beside it are what lists filter and count by.
CREATE TABLE enforcement_cases (
    id BIGSERIAL PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    dept TEXT NOT NULL,
    -- the day the case is dated by (decision, else filing), YYYY-MM-DD or ''
    day TEXT NOT NULL,
    major BIGINT NOT NULL,
    record TEXT NOT NULL,
    -- import, form, feed or api
    source TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX enforcement_cases_dept ON enforcement_cases (dept, day);

-- A flag: a case breaks a rule. Keyed by the case, the rule and a fingerprint of the fields and
-- values it read, so a re-evaluation finds the same flag (a dismissed one stays dismissed) and a
-- changed case with other values is a new flag. `raised` = 0: the newest evaluation no longer
-- raises it (kept, with its decision, for the record).
CREATE TABLE enforcement_flags (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES enforcement_cases (id),
    rule TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    -- name, basis, fields and the computation in words (JSON)
    detail TEXT NOT NULL,
    raised BIGINT NOT NULL DEFAULT 1,
    -- open, confirmed or dismissed
    state TEXT NOT NULL DEFAULT 'open',
    reason TEXT NOT NULL DEFAULT '',
    decided_by TEXT NOT NULL DEFAULT '',
    decided_at TEXT NOT NULL DEFAULT '',
    -- the rectification task opened on confirmation, if any
    task_id BIGINT,
    created_at TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    UNIQUE (case_id, rule, fingerprint)
);
CREATE INDEX enforcement_flags_state ON enforcement_flags (state, raised);
