// ctpilot pause <policy> --reason: stop evaluating (and so acting) until resumed.
import { pauseUpdate } from '../../workflows/messages.ts';
import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import { controllerHandle, sendUpdate, withTemporal } from '../lib/controllers.ts';
import { EXIT } from '../lib/errors.ts';
import { printJson } from '../lib/io.ts';
import { byFlag, operator, reason, reasonFlag, refusal, timeoutFlag, timeoutMs } from '../lib/operator.ts';
import { Refused } from '../lib/refusals.ts';
import { configFrom } from '../lib/services.ts';

export const pause: CommandSpec = {
  name: 'pause',
  summary: 'pause a policy: no evaluations, no actions, until resumed',
  description:
    'Pauses the policy’s controller (the pause update): it stops evaluating, so it neither alerts nor retrains; ' +
    'inbound alerts are kept for the next evaluation. A retrain already running carries on. Who paused it and why ' +
    'are shown by `ctpilot list` and `ctpilot status`. Exits 1 when the policy is already paused.',
  args: [{ name: 'policy', description: 'the policy name' }],
  flags: [jsonFlag, reasonFlag(true), byFlag, timeoutFlag('30s')],
  examples: [
    {
      command: 'ctpilot pause fraud-detector --reason "feature store migration, INC-2231"',
      description: 'pause during planned work',
    },
    {
      command: 'ctpilot pause fraud-detector --reason "holiday freeze" --by oncall',
      description: 'as a team',
    },
  ],
  async run({ args, flags, io, style }) {
    const name = args[0]!;
    const request = { by: operator(flags, io), reason: reason(flags, true, 'pause') };
    const json = flags.json === true;
    const ms = timeoutMs(flags);
    return withTemporal(configFrom(io), async (t) => {
      try {
        const status = await sendUpdate(
          t,
          controllerHandle(t, name),
          pauseUpdate,
          [request],
          `pausing ${name}`,
          ms,
        );
        if (json) printJson(io, { policy: name, paused: status.paused, status });
        else io.stdout.write(`${style.yellow('paused')} ${name} (by ${request.by}: ${request.reason})\n`);
        return EXIT.ok;
      } catch (error) {
        if (error instanceof Refused) return refusal(io, style, json, error, { policy: name });
        throw error;
      }
    });
  },
};
