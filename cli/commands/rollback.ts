// ctpilot rollback <policy> --reason [--to VERSION]: point the champion alias back.
import { rollbackUpdate } from '../../workflows/messages.ts';
import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import { controllerHandle, controllerStatus, sendUpdate, withTemporal } from '../lib/controllers.ts';
import { EXIT } from '../lib/errors.ts';
import { printJson } from '../lib/io.ts';
import { mlflowModelUrl } from '../lib/links.ts';
import { byFlag, operator, reason, reasonFlag, refusal, timeoutFlag, timeoutMs } from '../lib/operator.ts';
import { Refused } from '../lib/refusals.ts';
import { configFrom } from '../lib/services.ts';

export const rollback: CommandSpec = {
  name: 'rollback',
  summary: 'roll the champion back to the previous (or a given) version, by hand',
  description:
    'Sends the policy’s controller the rollback update: it points the champion alias back at the version before the ' +
    'last promotion (or --to VERSION), calls the deploy hook, and audits who did it and why (--reason is required). ' +
    'Exits 1 when the controller refuses (nothing to roll back to, a rollback already under way).',
  args: [{ name: 'policy', description: 'the policy name' }],
  flags: [
    jsonFlag,
    reasonFlag(true),
    {
      name: 'to',
      valueName: 'version',
      description: 'the version to put back (default: the previous champion)',
    },
    byFlag,
    timeoutFlag('2m'),
  ],
  examples: [
    {
      command: 'ctpilot rollback fraud-detector --reason "precision complaints from risk ops"',
      description: 'back to the previous champion',
    },
    {
      command: 'ctpilot rollback fraud-detector --to 4 --reason "known good"',
      description: 'to a given version',
    },
  ],
  async run({ args, flags, io, style }) {
    const name = args[0]!;
    const request = {
      by: operator(flags, io),
      reason: reason(flags, true, 'rollback'),
      ...(typeof flags.to === 'string' ? { toVersion: flags.to.replace(/^v/, '') } : {}),
    };
    const json = flags.json === true;
    const ms = timeoutMs(flags);
    const config = configFrom(io);
    return withTemporal(config, async (t) => {
      try {
        const result = await sendUpdate(
          t,
          controllerHandle(t, name),
          rollbackUpdate,
          [request],
          `rolling back ${name}`,
          ms,
        );
        const { model } = await controllerStatus(t, name);
        const link = mlflowModelUrl(config, model, result.toVersion);
        if (json) printJson(io, { policy: name, model, ...result, links: { version: link } });
        else
          io.stdout.write(
            `${style.yellow('rolled back')} ${model}: version ${result.fromVersion} → ${result.toVersion} (by ${result.by}: ${result.reason})\n  ${style.dim(link)}\n`,
          );
        return EXIT.ok;
      } catch (error) {
        if (error instanceof Refused) return refusal(io, style, json, error, { policy: name });
        throw error;
      }
    });
  },
};
