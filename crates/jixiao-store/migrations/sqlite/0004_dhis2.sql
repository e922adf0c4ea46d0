-- DHIS2 interoperability: which DHIS2 identifier (data element, org unit, period) stands for
-- which jixiao element, unit or period. Periods in DHIS2's standard forms (2025, 2025Q1,
-- 202501, 2025S1) need no row; a row overrides the standard form.
CREATE TABLE dhis2_map (
    kind TEXT NOT NULL,
    dhis2 TEXT NOT NULL,
    jixiao TEXT NOT NULL,
    PRIMARY KEY (kind, dhis2)
);
