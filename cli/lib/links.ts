// Links into the Temporal UI and the MLflow UI, printed beside what a verb
// shows so an operator is one click from the workflow history or the run.
import type { Config } from '../../workers/config.ts';

/** The Temporal UI's workflow list filtered by a visibility query. */
export function temporalQueryUrl(config: Config, query: string): string {
  return `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows?query=${encodeURIComponent(query)}`;
}

/**
 * One workflow in the Temporal UI. With its run id, the run's history;
 * without, a list filtered to the id (the UI has no page for "latest run").
 */
export function temporalWorkflowUrl(config: Config, workflowId: string, runId?: string): string {
  if (!runId) return temporalQueryUrl(config, `WorkflowId="${workflowId}"`);
  return `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
}

const mlflowBase = (config: Config) => config.mlflow.trackingUri.replace(/\/+$/, '');

/** A registered model, or one of its versions, in the MLflow UI. */
export function mlflowModelUrl(config: Config, model: string, version?: string): string {
  return `${mlflowBase(config)}/#/models/${encodeURIComponent(model)}${version ? `/versions/${encodeURIComponent(version)}` : ''}`;
}

/** A run in the MLflow UI (its page needs the experiment id). */
export function mlflowRunUrl(config: Config, experimentId: string, runId: string): string {
  return `${mlflowBase(config)}/#/experiments/${encodeURIComponent(experimentId)}/runs/${encodeURIComponent(runId)}`;
}
