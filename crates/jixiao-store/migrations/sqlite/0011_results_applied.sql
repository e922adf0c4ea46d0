-- P10: results applied (结果运用) are frozen inside each publication's results; whether the
-- public notice shows them is the office's choice when it publishes (0: not shown, 1: shown).
ALTER TABLE publications ADD COLUMN applied_public INTEGER NOT NULL DEFAULT 0;
