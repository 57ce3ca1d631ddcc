// ctpilot evaluate <policy>: evaluate now, not at the cadence, and print the decision.
import { evaluateNowUpdate } from '../../workflows/messages.ts';
import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import { controllerHandle, sendUpdate, withTemporal } from '../lib/controllers.ts';
import { decisionDetail, decisionHeadline } from '../lib/decision-view.ts';
import { EXIT } from '../lib/errors.ts';
import { printJson } from '../lib/io.ts';
import { byFlag, operator, refusal, timeoutFlag, timeoutMs } from '../lib/operator.ts';
import { Refused } from '../lib/refusals.ts';
import { configFrom } from '../lib/services.ts';

export const evaluate: CommandSpec = {
  name: 'evaluate',
  summary: 'evaluate a policy now and print the decision',
  description:
    'Asks the controller to measure and decide at once (the evaluate-now update) and waits for the decision: every ' +
    'metric’s verdict, every trigger and the actions taken or held back. The decision is audited and acted on like a ' +
    'scheduled one, and the cadence continues from it. Exits 1 when the controller refuses (a paused policy) or the ' +
    'evaluation fails.',
  args: [{ name: 'policy', description: 'the policy name' }],
  flags: [jsonFlag, byFlag, timeoutFlag('5m')],
  examples: [
    { command: 'ctpilot evaluate fraud-detector', description: 'decide now' },
    {
      command: 'ctpilot evaluate fraud-detector --json | jq .decision.outcome',
      description: 'the outcome alone',
    },
  ],
  async run({ args, flags, io, style }) {
    const name = args[0]!;
    const by = operator(flags, io);
    const ms = timeoutMs(flags);
    const json = flags.json === true;
    return withTemporal(configFrom(io), async (t) => {
      try {
        const decision = await sendUpdate(
          t,
          controllerHandle(t, name),
          evaluateNowUpdate,
          [{ by, reason: 'ctpilot evaluate' }],
          `evaluating ${name}`,
          ms,
        );
        if (json) printJson(io, { policy: name, by, decision });
        else {
          const detail = decisionDetail(style, decision);
          io.stdout.write(
            `${style.bold(name)} ${decisionHeadline(style, decision)}\n${detail ? `${detail}\n` : ''}`,
          );
        }
        return EXIT.ok;
      } catch (error) {
        if (error instanceof Refused) return refusal(io, style, json, error, { policy: name });
        throw error;
      }
    });
  },
};
