-- The audit seal: each entry's hash signed (HMAC-SHA-256) with a key kept outside the
-- database, in the seal file (see jixiao_store::audit::Seal). NULL for entries written before
-- the database was sealed.
ALTER TABLE audit_log ADD COLUMN mac TEXT;
