-- The dated organisation: every version of every unit with the day from which it holds
-- (YYYY-MM-DD; '0001-01-01' = since before any assessed period). A period is scored on the
-- organisation as it stands on its last day. `units` keeps each unit's identity, order,
-- optimistic-locking version and its latest definition; this table is the history scoring
-- reads.
CREATE TABLE unit_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    change TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    parent_code TEXT,
    level TEXT NOT NULL,
    classes TEXT NOT NULL DEFAULT '',
    coefficients TEXT NOT NULL DEFAULT '{}',
    targets TEXT NOT NULL DEFAULT '{}',
    closed BIGINT NOT NULL DEFAULT 0,
    successors TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL,
    UNIQUE (code, valid_from)
);

-- Units known before: as they stand, since the beginning; a unit closed or merged before
-- this migration is closed from the day it was closed (its past periods keep it).
INSERT INTO unit_versions (code, valid_from, change, name_zh, name_en, parent_code, level,
        classes, coefficients, targets, closed, successors, reason, recorded_at)
    SELECT code, '0001-01-01', 'create', name_zh, name_en, parent_code, level, classes,
        coefficients, targets, 0, '', '', COALESCE(closed_at, '0001-01-01')
    FROM units;
INSERT INTO unit_versions (code, valid_from, change, name_zh, name_en, parent_code, level,
        classes, coefficients, targets, closed, successors, reason, recorded_at)
    SELECT code, substr(closed_at, 1, 10),
        CASE WHEN merged_into IS NULL THEN 'close' ELSE 'merge' END,
        name_zh, name_en, parent_code, level, classes, coefficients, targets, 1,
        COALESCE(merged_into, ''), '', closed_at
    FROM units WHERE closed_at IS NOT NULL;
