// The workflows the orchestrator worker bundles (its workflowsPath).
export { policyControllerWorkflow } from './policy-controller.ts';
export { retrainWorkflow } from './retrain.ts';
export { stackCheckWorkflow } from './stack-check.ts';
