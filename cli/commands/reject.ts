// ctpilot reject <policy> --reason: turn down the challenger a retrain waits on.

import { runApprovalVerb } from '../lib/approval.ts';
import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import { byFlag, reasonFlag, timeoutFlag } from '../lib/operator.ts';

export const reject: CommandSpec = {
  name: 'reject',
  summary: 'reject the challenger a retrain is waiting on; the champion stays',
  description:
    'Finds the policy’s running retrain through its controller and, when it waits for approval, sends it the reject ' +
    'update with your name and reason (required). The challenger is tagged rejected and the champion does not change. ' +
    'Exits 1 when no retrain is waiting or the workflow refuses (already decided, stale version).',
  args: [{ name: 'policy', description: 'the policy name' }],
  flags: [
    jsonFlag,
    reasonFlag(true),
    byFlag,
    {
      name: 'challenger',
      valueName: 'version',
      description: 'the challenger version you mean (default: the one waiting)',
    },
    timeoutFlag('1m'),
  ],
  examples: [
    {
      command: 'ctpilot reject fraud-detector --reason "trained on the outage week"',
      description: 'keep the champion',
    },
    { command: 'ctpilot reject fraud-detector --reason "see INC-88" --json', description: 'as JSON' },
  ],
  run: (ctx) => runApprovalVerb('reject', ctx),
};
