// ctpilot diff <paths…>: what `apply` would change, without changing it.
import type { PlannedChange } from '../../workers/policy-sync.ts';
import { loadPolicySet, planSync } from '../../workers/policy-sync.ts';
import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import { EXIT } from '../lib/errors.ts';
import { type Io, printJson, type Style } from '../lib/io.ts';
import { formatIssue } from '../lib/issues.ts';
import { configFrom, connectTemporal, withClients } from '../lib/services.ts';

const short = (hash?: string) => (hash ? hash.slice(0, 19) : '—');

/** One line per change, with a link to the controller in the Temporal UI. */
export function printChanges(
  io: Io,
  style: Style,
  changes: ReadonlyArray<PlannedChange & { applied?: boolean }>,
  uiUrl: string,
  namespace: string,
): void {
  const sign: Record<string, string> = {
    create: style.green('+ create   '),
    update: style.yellow('~ update   '),
    unchanged: style.dim('= unchanged'),
    remove: style.red('- remove   '),
  };
  const lines = changes.map((c) => {
    const version =
      c.kind === 'update' ? `${short(c.fromHash)} → ${short(c.toHash)}` : short(c.toHash ?? c.fromHash);
    const skipped =
      c.kind === 'remove' && c.applied === false ? style.dim('  (kept: use --prune to stop it)') : '';
    return `${sign[c.kind]} ${c.policy.padEnd(28)} ${(c.model ?? '').padEnd(28)} ${version}${skipped}`;
  });
  const count = (k: string) => changes.filter((c) => c.kind === k).length;
  lines.push(
    style.dim(
      `${count('create')} to create, ${count('update')} to update, ${count('unchanged')} unchanged, ${count('remove')} not in the files`,
    ),
  );
  if (changes.length > 0)
    lines.push(
      style.dim(
        `controllers: ${uiUrl}/namespaces/${namespace}/workflows?query=${encodeURIComponent("WorkflowType='policyControllerWorkflow'")}`,
      ),
    );
  io.stdout.write(`${lines.join('\n')}\n`);
}

export const diff: CommandSpec = {
  name: 'diff',
  summary: 'show what apply would change: new, changed, unchanged and removed policies',
  description:
    'Compares the policies in the files with the controllers running now (their policy version hashes) and prints ' +
    'what `ctpilot apply` would do. Changes nothing. With --exit-code, exits 1 when there is something to apply.',
  args: [{ name: 'paths', description: 'policy files or directories', variadic: true }],
  flags: [jsonFlag, { name: 'exitCode', description: 'exit 1 when apply would change something (for CI)' }],
  examples: [
    { command: 'ctpilot diff policies/examples/support-tickets.yaml', description: 'before applying' },
    {
      command: 'ctpilot diff --exit-code my-policies/',
      description: 'fail a CI job when policies are not applied',
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
        if (flags.json === true) printJson(io, { issues });
        else io.stdout.write(`${issues.map((i) => formatIssue(i, undefined, style)).join('\n')}\n`);
        return EXIT.failed;
      }
      for (const w of set.warnings)
        if (flags.json !== true) io.stderr.write(`${style.yellow('warning:')} ${w}\n`);
      const temporal = await connectTemporal(config);
      try {
        const changes = await planSync(temporal.client, set.policies, {
          taskQueue: config.temporal.taskQueue,
        });
        if (flags.json === true) printJson(io, { changes });
        else printChanges(io, style, changes, config.temporal.uiUrl, config.temporal.namespace);
        const pending = changes.some((c) => c.kind !== 'unchanged');
        return flags.exitCode === true && pending ? EXIT.failed : EXIT.ok;
      } finally {
        await temporal.close();
      }
    });
  },
};
