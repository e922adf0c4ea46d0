-- Appending used to update the head row twice per entry. On PostgreSQL every update of the
-- same row inside one transaction leaves another row version that the next update must walk
-- past, so a transaction writing n entries cost O(n²) (an import of 400,000 values did not
-- finish in 15 minutes). Now an append locks the head row (which still serialises writers),
-- takes the larger of the head and the newest entry as the previous one, and the head is
-- brought up to the transaction's last entry once, when it commits.
CREATE FUNCTION audit_head_follow() RETURNS trigger AS $$
BEGIN
    IF NEW.seq = (SELECT max(seq) FROM audit_log) THEN
        UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1 AND seq < NEW.seq;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER audit_head_follow AFTER INSERT ON audit_log
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_head_follow();
