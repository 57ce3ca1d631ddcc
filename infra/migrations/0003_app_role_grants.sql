-- What the application role (ctpilot_app, 0002) needs beyond the audit
-- history, so a worker can run as a login role that is only a member of it:
-- read the migration ledger (a worker checks at start that nothing is
-- pending, which needs no DDL right) and record stack checks. Nothing here
-- lets it change or remove a row. Skipped where the role does not exist.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ctpilot_app') THEN
    GRANT SELECT ON ctpilot.schema_migrations TO ctpilot_app;
    GRANT SELECT, INSERT ON ctpilot.stack_checks TO ctpilot_app;
  END IF;
END;
$$;
