-- P10: earlier results that rules on consecutive results read (不合格 two years running): each
-- unit's grade per series of yearly schemes and period. Written by every publication (its frozen
-- official results) and by the office for the years before jixiao (an imported table). One row per
-- (series, period, unit); a publication replaces what was recorded for its period.
CREATE TABLE earlier_results (
    series TEXT NOT NULL,
    period TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    -- the grade's code in the scheme (excellent, good, pass, fail …); NULL: no result
    grade TEXT,
    -- the total and rank as recorded, for the office to see (not read by the rules)
    total TEXT,
    rank_no BIGINT,
    -- publication (with its id) or recorded (imported by the office)
    source TEXT NOT NULL,
    publication_id BIGINT,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (series, period, unit_code)
);

-- The earlier grades a publication's results applied read beyond its own snapshot (earlier
-- years), frozen with it so re-scoring repeats them: JSON {"periods": [...], "grades": {unit: [...]}}.
ALTER TABLE publications ADD COLUMN earlier_snapshot TEXT NOT NULL DEFAULT '{}';
