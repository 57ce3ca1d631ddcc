// The workflows the orchestrator worker bundles (its workflowsPath).
export { stackCheckWorkflow } from './stack-check.ts';
