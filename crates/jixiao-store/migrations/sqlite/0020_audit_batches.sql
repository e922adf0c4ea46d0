-- P14: bulk writes audited by batch. One audit_log entry (entity `values`) stands for up to a
-- few thousand value changes written together (an import); its `after` records how many and a
-- SHA-256 digest over every change in order, so the hash chain — and the seal's signature of
-- the entry's hash — commits to each of them. The changes themselves, one row each with the
-- value's key and its before/after exactly as a single entry would carry them, are kept here:
-- a value's history stays queryable, and `jixiao audit verify` recomputes every batch's digest.
CREATE TABLE audit_values (
    seq INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    before TEXT,
    after TEXT,
    PRIMARY KEY (seq, idx)
) WITHOUT ROWID;
CREATE INDEX audit_values_entity ON audit_values (entity_id);

CREATE TRIGGER audit_values_no_update BEFORE UPDATE ON audit_values
BEGIN
    SELECT RAISE(ABORT, 'audit_values is append-only');
END;
CREATE TRIGGER audit_values_no_delete BEFORE DELETE ON audit_values
BEGIN
    SELECT RAISE(ABORT, 'audit_values is append-only');
END;

-- Every audited change, one row each: the log's own entries (part -1) and each value change of a
-- batch (part 0, 1, … within the batch entry `seq`), with the batch entry's who, when, action
-- and reason. What the audit viewer, its exports and a node following the log read.
CREATE VIEW audit_changes AS
SELECT seq, -1 AS part, at, actor, source, request_id, action, entity, entity_id, before, after,
       reason, prev_hash, hash, mac
FROM audit_log
UNION ALL
SELECT v.seq, v.idx, l.at, l.actor, l.source, l.request_id, l.action, 'value', v.entity_id,
       v.before, v.after, l.reason, l.prev_hash, l.hash, l.mac
FROM audit_values v JOIN audit_log l ON l.seq = v.seq;
