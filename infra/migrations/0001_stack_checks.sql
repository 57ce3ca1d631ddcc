-- Results of the stack-check workflow: proof that the worker reached every
-- outside system. One row per workflow run; a retried activity finds its row.
CREATE TABLE ctpilot.stack_checks (
  workflow_id   text        NOT NULL,
  run_id        text        NOT NULL,
  checked_at    timestamptz NOT NULL,
  policy_file   text,
  policy_name   text,
  mlflow_ok     boolean     NOT NULL,
  prometheus_ok boolean     NOT NULL,
  s3_ok         boolean     NOT NULL,
  details       jsonb       NOT NULL,
  PRIMARY KEY (workflow_id, run_id)
);
