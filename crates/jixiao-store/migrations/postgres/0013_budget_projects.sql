-- P11: budget projects (预算项目) as objects of their own, not units of the district tree; the
-- ex-ante evaluation (事前绩效评估) that gates them and the performance targets (绩效目标) that
-- finance approves.
CREATE TABLE budget_projects (
    code TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    -- the department that runs it (a unit code)
    dept TEXT NOT NULL,
    year BIGINT NOT NULL,
    -- 万元, exact decimal text
    amount TEXT NOT NULL,
    fund_source TEXT NOT NULL,
    -- new or continuing
    kind TEXT NOT NULL,
    major BIGINT NOT NULL DEFAULT 0,
    -- draft, exante, exante_done, rejected, targets_submitted, targets_returned, targets_approved
    stage TEXT NOT NULL,
    exante_required BIGINT NOT NULL,
    exante_total TEXT,
    -- support, revise, reject
    exante_conclusion TEXT,
    exante_reason TEXT NOT NULL DEFAULT '',
    exante_at TEXT,
    exante_by TEXT,
    -- why finance returned the targets
    return_reason TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);

-- The experts of a project's ex-ante evaluation and their scores (a JSON array, one per
-- dimension in the rules' order; NULL until they score).
CREATE TABLE exante_experts (
    project TEXT NOT NULL,
    expert TEXT NOT NULL,
    scores TEXT,
    comment TEXT NOT NULL DEFAULT '',
    scored_at TEXT,
    PRIMARY KEY (project, expert)
);

-- A project's performance targets in the standard indicator system.
CREATE TABLE project_targets (
    project TEXT NOT NULL,
    seq BIGINT NOT NULL,
    -- output, benefit, satisfaction
    level1 TEXT NOT NULL,
    -- quantity, quality, timeliness, cost; economic, social, ecological, sustainable; satisfaction
    level2 TEXT NOT NULL,
    name TEXT NOT NULL,
    -- at_least, at_most
    direction TEXT NOT NULL,
    value TEXT NOT NULL,
    unit TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (project, seq)
);
