// Finding the retrain that waits for a decision, and deciding: `ctpilot
// approve` and `ctpilot reject` share all of it but the update they send and
// whether a reason is required.
import { WorkflowNotFoundError } from '@temporalio/client';
import {
  type ApprovalDecision,
  type ApprovalRequest,
  approveUpdate,
  type RetrainProgress,
  rejectUpdate,
  retrainProgressQuery,
} from '../../workflows/messages.ts';
import type { CommandContext } from './command.ts';
import { answered, controllerStatus, sendUpdate, type Temporal, withTemporal } from './controllers.ts';
import { EXIT } from './errors.ts';
import { outcome } from './format.ts';
import { printJson } from './io.ts';
import { mlflowModelUrl, temporalWorkflowUrl } from './links.ts';
import { operator, reason, refusal, timeoutMs } from './operator.ts';
import { Refused } from './refusals.ts';
import { configFrom } from './services.ts';

export interface Awaiting {
  readonly model: string;
  readonly workflowId: string;
  readonly progress: RetrainProgress;
}

/** The policy's running retrain, if it is waiting for approval; Refused (saying what is going on) otherwise. */
export async function awaitingApproval(t: Temporal, policy: string): Promise<Awaiting> {
  const status = await controllerStatus(t, policy);
  if (!status.retrain) {
    const last = status.lastRetrain;
    throw new Refused(
      `no retrain of ${policy} is waiting for approval: none is running${last ? ` (the last one, ${last.workflowId}, ended ${last.outcome})` : ''}`,
      'approve or reject when `ctpilot status <policy>` shows a retrain in phase awaiting-approval',
    );
  }
  const workflowId = status.retrain.workflowId;
  let progress: RetrainProgress;
  try {
    progress = await answered(t, `the progress query of ${workflowId}`, 10_000, () =>
      t.client.workflow.getHandle(workflowId).query(retrainProgressQuery),
    );
  } catch (error) {
    if (error instanceof WorkflowNotFoundError)
      throw new Refused(
        `the retrain ${workflowId} the controller reports is gone`,
        'check `ctpilot status <policy>`',
      );
    throw error;
  }
  if (progress.phase !== 'awaiting-approval') {
    throw new Refused(
      `no retrain of ${policy} is waiting for approval: ${workflowId} is in phase ${progress.phase}`,
      'approve or reject when `ctpilot status <policy>` shows the phase awaiting-approval',
    );
  }
  return { model: status.model, workflowId, progress };
}

/** Sends the decision about the challenger the operator saw (its version, so a newer one is not decided by mistake). */
export async function decide(
  t: Temporal,
  awaiting: Awaiting,
  decision: 'approve' | 'reject',
  request: ApprovalRequest,
  ms: number,
): Promise<ApprovalDecision> {
  return sendUpdate(
    t,
    t.client.workflow.getHandle(awaiting.workflowId),
    decision === 'approve' ? approveUpdate : rejectUpdate,
    [{ ...request, version: request.version ?? awaiting.progress.version }],
    `${decision === 'approve' ? 'approving' : 'rejecting'} the challenger of ${awaiting.workflowId}`,
    ms,
  );
}

export async function runApprovalVerb(
  decision: 'approve' | 'reject',
  { args, flags, io, style }: CommandContext,
): Promise<number> {
  const name = args[0]!;
  const by = operator(flags, io);
  const why = decision === 'reject' ? reason(flags, true, 'reject') : reason(flags, false, 'approve');
  const version = typeof flags.challenger === 'string' ? flags.challenger.replace(/^v/, '') : undefined;
  const json = flags.json === true;
  const ms = timeoutMs(flags);
  const config = configFrom(io);
  return withTemporal(config, async (t) => {
    try {
      const awaiting = await awaitingApproval(t, name);
      const result = await decide(t, awaiting, decision, { by, reason: why, version }, ms);
      const links = {
        retrain: temporalWorkflowUrl(config, awaiting.workflowId),
        version: mlflowModelUrl(config, awaiting.model, result.version),
      };
      if (json) printJson(io, { policy: name, retrain: awaiting.workflowId, ...result, links });
      else
        io.stdout.write(
          `${outcome(style, result.decision)} version ${result.version} of ${awaiting.model} (${awaiting.workflowId}) by ${result.by}${result.reason ? `: ${result.reason}` : ''}\n  ${style.dim(links.retrain)}\n  ${style.dim(links.version)}\n`,
        );
      return EXIT.ok;
    } catch (error) {
      if (error instanceof Refused) return refusal(io, style, json, error, { policy: name });
      throw error;
    }
  });
}
