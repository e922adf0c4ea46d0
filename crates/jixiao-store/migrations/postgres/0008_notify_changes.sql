-- Every transaction that appends to the audit log tells the other nodes on this database, at
-- commit, that there is something new to read (one notification per transaction: PostgreSQL
-- folds identical ones). The audit log's sequence numbers are the change log a node replays
-- from, so a notification lost while a node was disconnected loses nothing.
CREATE FUNCTION audit_log_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('jixiao_changes', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_log_notify AFTER INSERT ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_notify();
