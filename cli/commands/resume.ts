// ctpilot resume <policy>: evaluate on the cadence again after a pause.
import { resumeUpdate } from '../../workflows/messages.ts';
import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import { controllerHandle, sendUpdate, withTemporal } from '../lib/controllers.ts';
import { EXIT } from '../lib/errors.ts';
import { relative } from '../lib/format.ts';
import { printJson } from '../lib/io.ts';
import { byFlag, operator, reason, reasonFlag, refusal, timeoutFlag, timeoutMs } from '../lib/operator.ts';
import { Refused } from '../lib/refusals.ts';
import { configFrom } from '../lib/services.ts';

export const resume: CommandSpec = {
  name: 'resume',
  summary: 'resume a paused policy',
  description:
    'Resumes the policy’s controller (the resume update): it evaluates again on its cadence — at once when an ' +
    'evaluation fell due while it was paused. Exits 1 when the policy is not paused.',
  args: [{ name: 'policy', description: 'the policy name' }],
  flags: [jsonFlag, reasonFlag(false), byFlag, timeoutFlag('30s')],
  examples: [
    { command: 'ctpilot resume fraud-detector', description: 'back to the cadence' },
    {
      command: 'ctpilot resume fraud-detector --reason "migration done" --json',
      description: 'with a reason, as JSON',
    },
  ],
  async run({ args, flags, io, style }) {
    const name = args[0]!;
    const request = { by: operator(flags, io), reason: reason(flags, false, 'resume') };
    const json = flags.json === true;
    const ms = timeoutMs(flags);
    return withTemporal(configFrom(io), async (t) => {
      try {
        const status = await sendUpdate(
          t,
          controllerHandle(t, name),
          resumeUpdate,
          [request],
          `resuming ${name}`,
          ms,
        );
        if (json) printJson(io, { policy: name, nextEvaluationAt: status.nextEvaluationAt, status });
        else
          io.stdout.write(
            `${style.green('resumed')} ${name} · next evaluation ${relative(status.nextEvaluationAt)}\n`,
          );
        return EXIT.ok;
      } catch (error) {
        if (error instanceof Refused) return refusal(io, style, json, error, { policy: name });
        throw error;
      }
    });
  },
};
