// ctpilot explain <file>: the policy in plain words.

import { explainPolicy } from '../../policies/explain.ts';
import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import { EXIT } from '../lib/errors.ts';
import { printJson } from '../lib/io.ts';
import { formatIssue, issueJson } from '../lib/issues.ts';
import { loadFiles } from '../lib/policy-files.ts';

export const explain: CommandSpec = {
  name: 'explain',
  summary: 'describe a policy in plain words: what is watched, when it retrains, what gates a promotion',
  description:
    'Reads one policy and says what it does: the metrics and their objectives, how missing data is treated, each ' +
    'trigger with its persistence and requirements, the guards that hold actions back, how a retrain is carried out and ' +
    'what a challenger must pass before it is promoted. An invalid policy is reported as by `validate` (exit 1).',
  args: [{ name: 'file', description: 'a policy file' }],
  flags: [jsonFlag],
  examples: [
    { command: 'ctpilot explain policies/examples/fraud-slo.yaml', description: 'read a policy aloud' },
    {
      command: 'ctpilot explain --json policies/examples/support-tickets.yaml | jq .sections',
      description: 'the same, as data',
    },
  ],
  async run({ args, flags, io, style }) {
    const [file] = await loadFiles(args.slice(0, 1), io.cwd);
    if (!file) return EXIT.usage;
    if (!file.result.ok) {
      const issues = file.result.issues;
      if (flags.json === true)
        printJson(io, { file: file.display, valid: false, errors: issues.map(issueJson) });
      else
        io.stdout.write(
          `${issues.map((i) => formatIssue(i, file.source, style)).join('\n')}\n${style.red(`${file.display} is not a valid policy; nothing to explain`)}\n`,
        );
      return EXIT.failed;
    }
    const e = explainPolicy(file.result.policy);
    if (flags.json === true) {
      printJson(io, { file: file.display, valid: true, ...e });
      return EXIT.ok;
    }
    const text = [
      style.bold(e.headline),
      ...e.sections.map(
        (s) =>
          `\n${style.bold(s.title)}\n${s.lines.map((l) => (l.startsWith('  ') ? `    ${l.trim()}` : `  • ${l}`)).join('\n')}`,
      ),
    ];
    io.stdout.write(`${text.join('\n')}\n`);
    return EXIT.ok;
  },
};
