-- P11: the dual monitoring (运行监控「双监控」) of a project with approved targets: at a date the
-- department reports its spending and each monitored target's completion; the level is computed
-- from them (and kept as computed then); yellow and red carry the department's corrective
-- measures. One report per project and date (a later one replaces it, audited).
CREATE TABLE project_monitoring (
    project TEXT NOT NULL,
    day TEXT NOT NULL,
    spent TEXT NOT NULL,
    -- JSON array of decimal text, one per monitored target (the approved ≥ targets, in order)
    completed TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    measures TEXT NOT NULL DEFAULT '',
    -- green, yellow, red
    level TEXT NOT NULL,
    reported_by TEXT NOT NULL,
    reported_at TEXT NOT NULL,
    PRIMARY KEY (project, day)
);
