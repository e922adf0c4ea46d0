-- When a value was first reported (submitted, or stored already past submission by an import,
-- a feed or the office): the timeliness of reporting is this against the period's deadline.
-- A value returned and submitted again keeps its first time. Rows stored before this column
-- existed take their last change as the best time known.
ALTER TABLE data_values ADD COLUMN reported_at TEXT;
UPDATE data_values SET reported_at = updated_at
    WHERE state IN ('submitted', 'approved', 'verified', 'counted');
