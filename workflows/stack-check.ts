// The first workflow: proves the wiring end to end. It reads a policy file's
// name, checks MLflow, Prometheus and the object store through activities, and
// records the outcome in PostgreSQL. The policy controller replaces it as the
// main workflow; it stays as a smoke test operators can run.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { StackCheckRecord } from '../activities/stack-check.ts';

const { readPolicyName, checkMlflow, checkPrometheus, checkObjectStore, recordStackCheck } =
  proxyActivities<Activities>({
    startToCloseTimeout: '1 minute',
    retry: { maximumAttempts: 5, initialInterval: '1 second' },
  });

export interface StackCheckInput {
  /** A policy file to read the name of; omitted when there is none. */
  readonly policyFile?: string;
}

export async function stackCheckWorkflow(input: StackCheckInput = {}): Promise<StackCheckRecord> {
  const info = workflowInfo();
  const [policy, mlflow, prometheus, objectStore] = await Promise.all([
    input.policyFile ? readPolicyName(input.policyFile) : Promise.resolve(undefined),
    checkMlflow(),
    checkPrometheus(),
    checkObjectStore(`stack-checks/${info.workflowId}.json`),
  ]);
  const record: StackCheckRecord = {
    workflowId: info.workflowId,
    runId: info.runId,
    checkedAt: new Date(info.startTime).toISOString(),
    policy,
    mlflow,
    prometheus,
    objectStore,
  };
  await recordStackCheck(record);
  return record;
}
