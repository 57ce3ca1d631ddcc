// The bounds a policy must stay within, in one place: what `validate`
// refuses (or warns about), what the audit store refuses at run time, and
// what docs/policies.md ("Limits") lists. Each protects the others: one
// policy must never stall a worker, fill a workflow history or a database
// row, or start controllers without end.
export const LIMITS = {
  /** Bytes of one policy file. A real policy is a few kilobytes. */
  policyBytes: 256 * 1024,
  /** Metrics of one policy: each is measured at every evaluation and lands in its decision. */
  metrics: 200,
  /** Triggers of one policy. */
  triggers: 100,
  /** Bytes of one audit row's content (one decision or step), refused by the audit store. */
  auditRowBytes: 1024 * 1024,
  /** Controllers one fleet template may start: a warning above this… */
  fleetWarn: 100,
  /** …and a refusal above this, unless the template raises it (`model.selector.maxControllers`). */
  fleetMax: 1000,
} as const;
