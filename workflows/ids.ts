// Workflow ids, for the workflows and for their clients alike (a client
// naming a controller should not have to load the controller's code).
export function controllerWorkflowId(policyName: string): string {
  return `policy:${policyName}`;
}
