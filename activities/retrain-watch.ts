// Whether a retraining workflow is still running, and how it ended: the
// controller asks when it has waited a while for the retrain's finish signal,
// which never comes if an operator terminated the retrain or its failure path
// itself failed.
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { RetrainResult } from '../workflows/messages.ts';

export interface RetrainState {
  readonly running: boolean;
  /** Closed: the result it returned, or an outcome read from how it closed. */
  readonly result?: RetrainResult;
}

export function createRetrainWatchActivities() {
  return {
    async retrainState(input: { workflowId: string; attempt: number }): Promise<RetrainState> {
      const handle = Context.current().client.workflow.getHandle(input.workflowId);
      const at = new Date().toISOString();
      try {
        const description = await handle.describe();
        const status = description.status.name;
        if (status === 'RUNNING' || status === 'CONTINUED_AS_NEW') return { running: true };
        if (status === 'COMPLETED')
          return { running: false, result: (await handle.result()) as RetrainResult };
        return {
          running: false,
          result: {
            workflowId: input.workflowId,
            attempt: input.attempt,
            outcome: status === 'CANCELLED' || status === 'TERMINATED' ? 'cancelled' : 'failed',
            summary: `the retrain ended ${status.toLowerCase()} without reporting back`,
            at,
          },
        };
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
        return {
          running: false,
          result: {
            workflowId: input.workflowId,
            attempt: input.attempt,
            outcome: 'failed',
            summary: 'the retrain workflow does not exist',
            at,
          },
        };
      }
    },
  };
}
