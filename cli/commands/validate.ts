// ctpilot validate <files…>: check policy files the way the controller will
// load them, and report every problem at once.

import { duplicateNames } from '../../policies/catalog.ts';
import type { PolicyIssue } from '../../policies/issues.ts';
import type { LoadedPolicy } from '../../policies/loader.ts';
import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import { EXIT } from '../lib/errors.ts';
import { printJson } from '../lib/io.ts';
import { formatIssue, issueJson } from '../lib/issues.ts';
import { loadFiles } from '../lib/policy-files.ts';

export const validate: CommandSpec = {
  name: 'validate',
  summary: 'check policy files: schema, conditions, PromQL, placeholders, secrets',
  description:
    'Loads each policy exactly as the controller will and reports every problem at once, each with file, line, column, ' +
    'path in the document and a hint. Directories are searched for *.yaml and *.yml files. Exits 0 when every policy is ' +
    'valid, 1 when any is not (or when two files use the same policy name), 2 on usage errors such as a missing file.',
  args: [{ name: 'files', description: 'policy files or directories', variadic: true }],
  flags: [
    jsonFlag,
    { name: 'strict', description: 'treat warnings as errors (exit 1 when there are any)' },
    { name: 'quiet', short: 'q', description: 'print only problems, not the valid files' },
  ],
  examples: [
    { command: 'ctpilot validate policies/examples/', description: 'every policy in a directory' },
    {
      command: 'ctpilot validate policies/examples/fraud-slo.yaml policies/examples/credit-age-shift.yaml',
      description: 'some files',
    },
    {
      command: 'ctpilot validate --json policies/examples/ | jq ".files[] | select(.valid | not)"',
      description: 'machine-readable, for CI',
    },
  ],
  async run({ args, flags, io, style }) {
    const files = await loadFiles(args, io.cwd);
    const loaded = files.flatMap((f) => (f.result.ok ? [f.result.policy] : []));
    const duplicates = duplicateNames(loaded);
    const strict = flags.strict === true;

    const report = files.map((f) => {
      const issues: readonly PolicyIssue[] = f.result.ok
        ? [...f.result.warnings, ...duplicates.filter((d) => d.file === f.display)]
        : f.result.issues;
      const errors = issues.filter((i) => i.severity === 'error' || strict);
      const policy: LoadedPolicy | undefined = f.result.ok ? f.result.policy : undefined;
      return { file: f, policy, issues, valid: errors.length === 0 };
    });
    const invalid = report.filter((r) => !r.valid).length;

    if (flags.json === true) {
      printJson(io, {
        valid: invalid === 0,
        files: report.map((r) => ({
          file: r.file.display,
          valid: r.valid,
          name: r.policy?.spec.metadata.name ?? null,
          hash: r.policy?.hash ?? null,
          errors: r.issues.filter((i) => i.severity === 'error').map(issueJson),
          warnings: r.issues.filter((i) => i.severity === 'warning').map(issueJson),
        })),
        summary: { files: report.length, valid: report.length - invalid, invalid },
      });
      return invalid === 0 ? EXIT.ok : EXIT.failed;
    }

    const out: string[] = [];
    for (const r of report) {
      const errors = r.issues.filter((i) => i.severity === 'error').length;
      const warnings = r.issues.length - errors;
      if (r.valid && r.issues.length === 0 && flags.quiet === true) continue;
      const head = r.valid
        ? `${style.green('✓')} ${r.file.display}  ${r.policy?.spec.metadata.name ?? ''}  ${style.dim(r.policy?.hash.slice(0, 19) ?? '')}${warnings ? style.yellow(`  ${warnings} warning${warnings === 1 ? '' : 's'}`) : ''}`
        : `${style.red('✗')} ${r.file.display}  ${style.red(`${errors} error${errors === 1 ? '' : 's'}`)}${warnings ? style.yellow(`, ${warnings} warning${warnings === 1 ? '' : 's'}`) : ''}`;
      out.push(head);
      for (const i of r.issues) out.push(formatIssue(i, r.file.source, style).replace(/^/gm, '  '));
    }
    const total = report.reduce((n, r) => n + r.issues.filter((i) => i.severity === 'error').length, 0);
    out.push(
      invalid === 0
        ? style.green(`${report.length} polic${report.length === 1 ? 'y' : 'ies'} valid`)
        : style.red(
            `${invalid} of ${report.length} polic${report.length === 1 ? 'y' : 'ies'} invalid (${total} error${total === 1 ? '' : 's'})`,
          ),
    );
    io.stdout.write(`${out.join('\n')}\n`);
    return invalid === 0 ? EXIT.ok : EXIT.failed;
  },
};
