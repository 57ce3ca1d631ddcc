// ctpilot apply <paths…>: start or update one controller per policy.
import { type AppliedChange, applyPolicies, loadPolicySet } from '../../workers/policy-sync.ts';
import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import { EXIT } from '../lib/errors.ts';
import { printJson } from '../lib/io.ts';
import { formatIssue } from '../lib/issues.ts';
import { configFrom, connectTemporal, withClients } from '../lib/services.ts';
import { printChanges } from './diff.ts';

export const apply: CommandSpec = {
  name: 'apply',
  summary: 'start or update the controller of every policy in files or directories',
  description:
    'Validates every policy first and applies nothing if one is invalid. Then starts a controller workflow ' +
    '(policy:<name>) for each new policy and sends each changed one its new version (update-with-start: applying the ' +
    'same files twice changes nothing). Fleet templates become one controller per selected model. Controllers of ' +
    'policies that are no longer in the files keep running unless --prune is given; only controllers on this task queue ' +
    '(CTPILOT_TASK_QUEUE) are ever stopped.',
  args: [{ name: 'paths', description: 'policy files or directories', variadic: true }],
  flags: [jsonFlag, { name: 'prune', description: 'stop the controllers of policies not in these files' }],
  examples: [
    {
      command: 'ctpilot apply policies/examples/support-tickets.yaml',
      description: 'apply every policy in a directory',
    },
    {
      command: 'ctpilot apply --prune my-policies/',
      description: 'and stop controllers of removed policies',
    },
  ],
  async run({ args, flags, io, style }) {
    const config = configFrom(io);
    return withClients(config, async (clients) => {
      const set = await loadPolicySet(
        args.map((a) => (a.startsWith('/') ? a : `${io.cwd}/${a}`)),
        clients.mlflow,
      );
      if (!set.ok) {
        const issues = set.failures.flatMap((f) => f.issues);
        if (flags.json === true) printJson(io, { applied: false, issues });
        else {
          io.stdout.write(`${issues.map((i) => formatIssue(i, undefined, style)).join('\n')}\n`);
          io.stdout.write(
            style.red(`nothing applied: ${issues.length} problem(s); fix them and apply again\n`),
          );
        }
        return EXIT.failed;
      }
      for (const w of set.warnings)
        if (flags.json !== true) io.stderr.write(`${style.yellow('warning:')} ${w}\n`);
      const temporal = await connectTemporal(config);
      let changes: AppliedChange[];
      try {
        changes = await applyPolicies(temporal.client, set.policies, {
          taskQueue: config.temporal.taskQueue,
          prune: flags.prune === true,
          by: io.env.USER ? `${io.env.USER} (ctpilot apply)` : 'ctpilot apply',
        });
      } finally {
        await temporal.close();
      }
      if (flags.json === true) printJson(io, { applied: true, changes });
      else printChanges(io, style, changes, config.temporal.uiUrl, config.temporal.namespace);
      return EXIT.ok;
    });
  },
};
