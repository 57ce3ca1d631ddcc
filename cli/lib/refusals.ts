// How a verb says that a controller did not do what was asked: none runs the
// policy, no worker answered, or the workflow refused or could not answer.
// Apart from the Temporal client, so the verbs that read over HTTP share
// the same messages without loading it.
import { controllerWorkflowId } from '../../workflows/ids.ts';
import { UserError } from './errors.ts';

/**
 * The workflow turned a request down: its validator refused it (already
 * paused, nothing awaiting approval, a stale version) or its handler failed.
 * Not a usage mistake and not a bug: the verb prints why and exits 1.
 */
export class Refused extends Error {
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
    this.name = 'Refused';
  }
}

export function noController(policy: string): UserError {
  return new UserError(
    `no controller is running policy ${policy} (workflow ${controllerWorkflowId(policy)})`,
    'see the running policies with `ctpilot list`; start one with `ctpilot apply <file>`',
  );
}

/** No worker took the request within `ms`: the task queue that needs one, and how to start it. */
export function noAnswer(what: string, ms: number, queue: string): UserError {
  return new UserError(
    `${what} got no answer within ${Math.round(ms / 1000)} s: no orchestrator worker is serving task queue ${queue}`,
    `start the worker with \`npm start\` (CTPILOT_TASK_QUEUE=${queue}), then try again`,
  );
}

/**
 * A query the workflow could not answer: its workflow task is failing (an
 * exception in workflow code, nondeterminism after a deploy) or the query
 * handler threw. Not the caller's mistake and not a bug of the command.
 */
export class QueryFailed extends Refused {}
