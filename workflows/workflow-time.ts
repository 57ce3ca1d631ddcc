// Workflow time: the only place workflow code reads the clock. Temporal's
// workflow sandbox replaces `Date` so that it answers the time of the
// workflow task being processed, as recorded in the history; a replay sees
// the same instants. The TypeScript SDK has no named call for it (Python's
// workflow.now(), Go's workflow.Now(ctx)), so these helpers give it one, and
// a lint rule (infra/lint/workflow-time.grit) keeps bare `Date.now()` and
// `new Date()` out of the other workflow files.

/** Milliseconds since the epoch, in workflow time. */
export function workflowNowMs(): number {
  return Date.now();
}

/** The current workflow time as an ISO-8601 string (for audit rows, memos and queries). */
export function workflowNowIso(): string {
  return new Date(workflowNowMs()).toISOString();
}
