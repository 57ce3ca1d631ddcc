-- Each audit row may carry an Ed25519 signature of its hash, made by a key
-- the database never holds (activities/audit/signing.ts), and the id of
-- that key. Rows written before a key was configured have neither. The app
-- role appends them with the rest of the row (INSERT is already granted);
-- it still cannot change them afterwards.
ALTER TABLE ctpilot.audit_log ADD COLUMN signature text;
ALTER TABLE ctpilot.audit_log ADD COLUMN key_id text;
ALTER TABLE ctpilot.audit_log ADD CONSTRAINT audit_log_signed_with_key
  CHECK ((signature IS NULL) = (key_id IS NULL));
