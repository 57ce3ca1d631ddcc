// Workflow ids, for the workflows and for their clients alike (a client
// naming a controller should not have to load the controller's code).
export function controllerWorkflowId(policyName: string): string {
  return `policy:${policyName}`;
}

// Query names, for the clients that ask without the SDK's definitions (the CLI's HTTP reader).
export const STATUS_QUERY = 'status';
export const POLICY_QUERY = 'policy';
export const PROGRESS_QUERY = 'progress';

// Search attribute names, for the same clients (workflows/search-attributes.ts types them for the SDK).
export const ATTRIBUTE = {
  policy: 'CtPolicy',
  model: 'CtModel',
  phase: 'CtPhase',
  lastDecision: 'CtLastDecision',
  policyVersion: 'CtPolicyVersion',
} as const;
