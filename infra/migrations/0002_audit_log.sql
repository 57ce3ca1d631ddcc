-- The audit history: append-only, one row per decision and per workflow step,
-- hash-chained per model. Each row's `content` is the canonical JSON of its
-- fields; `hash` = sha256(prev_hash || content), and `prev_hash` is the hash of
-- the model's previous row (64 zeros for the first), so an altered, removed or
-- reordered row breaks the chain from that row on (activities/audit/chain.ts).
CREATE TABLE ctpilot.audit_log (
  seq            bigserial   PRIMARY KEY,
  model          text        NOT NULL,
  model_seq      bigint      NOT NULL,
  recorded_at    timestamptz NOT NULL,
  policy         text        NOT NULL,
  policy_version text,
  workflow_id    text        NOT NULL,
  workflow_run   text,
  mlflow_run_id  text,
  step           text        NOT NULL,
  kind           text        NOT NULL,
  outcome        text        NOT NULL,
  content        text        NOT NULL,
  prev_hash      text        NOT NULL,
  hash           text        NOT NULL,
  -- A retried write of the same step is found, never written twice.
  CONSTRAINT audit_log_step_once UNIQUE (workflow_id, step),
  CONSTRAINT audit_log_chain_position UNIQUE (model, model_seq),
  CONSTRAINT audit_log_hash_format CHECK (hash ~ '^[0-9a-f]{64}$' AND prev_hash ~ '^[0-9a-f]{64}$')
);

CREATE INDEX audit_log_model_time ON ctpilot.audit_log (model, recorded_at);
CREATE INDEX audit_log_policy_time ON ctpilot.audit_log (policy, recorded_at);

-- Append-only even for a role that could otherwise change rows: UPDATE,
-- DELETE and TRUNCATE raise. (An operator with superuser rights can disable
-- the trigger; the hash chain is what makes that visible.)
CREATE FUNCTION ctpilot.audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ctpilot.audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_update_or_delete
  BEFORE UPDATE OR DELETE ON ctpilot.audit_log
  FOR EACH ROW EXECUTE FUNCTION ctpilot.audit_log_refuse_change();

CREATE TRIGGER audit_log_no_truncate
  BEFORE TRUNCATE ON ctpilot.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION ctpilot.audit_log_refuse_change();

-- The role the application should connect as in production: it may read and
-- append, nothing else. Created only where the migrating user may create roles.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ctpilot_app') THEN
    BEGIN
      CREATE ROLE ctpilot_app NOLOGIN;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'cannot create role ctpilot_app here; grant SELECT, INSERT on ctpilot.audit_log to the application role yourself';
    END;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ctpilot_app') THEN
    GRANT USAGE ON SCHEMA ctpilot TO ctpilot_app;
    GRANT SELECT, INSERT ON ctpilot.audit_log TO ctpilot_app;
    GRANT USAGE ON SEQUENCE ctpilot.audit_log_seq_seq TO ctpilot_app;
    REVOKE UPDATE, DELETE, TRUNCATE ON ctpilot.audit_log FROM ctpilot_app;
  END IF;
END;
$$;
