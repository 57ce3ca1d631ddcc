// ctpilot approve <policy>: promote the challenger a retrain waits on.

import { runApprovalVerb } from '../lib/approval.ts';
import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import { byFlag, reasonFlag, timeoutFlag } from '../lib/operator.ts';

export const approve: CommandSpec = {
  name: 'approve',
  summary: 'approve the challenger a retrain is waiting on (manual approval)',
  description:
    'Finds the policy’s running retrain through its controller and, when it waits for approval, sends it the approve ' +
    'update with your name, your reason and the challenger version it is waiting on (a decision about another version ' +
    'is refused as stale). The retrain then promotes the challenger. Exits 1 when no retrain is waiting or the ' +
    'workflow refuses (already decided, stale version).',
  args: [{ name: 'policy', description: 'the policy name' }],
  flags: [
    jsonFlag,
    reasonFlag(false),
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
      command: 'ctpilot approve fraud-detector --reason "shadow report reviewed"',
      description: 'promote it',
    },
    {
      command: 'ctpilot approve fraud-detector --challenger 7 --by alice',
      description: 'only if version 7 is waiting',
    },
  ],
  run: (ctx) => runApprovalVerb('approve', ctx),
};
