-- P11: a project with approved targets is scored by the evaluation schemes of its classes
-- (comma-separated class codes, e.g. project_self,project_eval): it joins the assessed objects
-- when finance approves its targets, and the schemes read its amount, targets and year-end
-- monitoring from here (never typed again).
ALTER TABLE budget_projects ADD COLUMN classes TEXT NOT NULL DEFAULT '';

-- The next year's budget-adjustment table as finance reviewed and published it: the rows as
-- they stood (JSON), from which publication of the evaluation, by whom, when and why.
-- Departments read the latest published table; finance also sees the live draft.
CREATE TABLE budget_adjustments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scheme TEXT NOT NULL,
    period TEXT NOT NULL,
    publication BIGINT,
    rows TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX budget_adjustments_scheme ON budget_adjustments (scheme, period, id);

-- A project's funding by year and fund source (a multi-year project, several sources); the
-- project's amount is the sum for its own year.
CREATE TABLE project_funds (
    project TEXT NOT NULL,
    year BIGINT NOT NULL,
    source TEXT NOT NULL,
    -- 万元, exact decimal text
    amount TEXT NOT NULL,
    PRIMARY KEY (project, year, source)
);
