// Every verb of the ctpilot command, in the order `ctpilot --help` lists them,
// each loaded only when it runs: a verb's module (and the Temporal client,
// the AWS SDK or the statistics it brings) is imported by its loader alone.
// A new verb is one file in this folder and one entry here.

import type { CommandSpec } from '../lib/command.ts';

export const loaders = {
  validate: async () => (await import('./validate.ts')).validate,
  explain: async () => (await import('./explain.ts')).explain,
  schema: async () => (await import('./schema.ts')).schema,
  apply: async () => (await import('./apply.ts')).apply,
  diff: async () => (await import('./diff.ts')).diff,
  list: async () => (await import('./list.ts')).list,
  status: async () => (await import('./status.ts')).status,
  history: async () => (await import('./history.ts')).history,
  evaluate: async () => (await import('./evaluate.ts')).evaluate,
  pause: async () => (await import('./pause.ts')).pause,
  resume: async () => (await import('./resume.ts')).resume,
  approve: async () => (await import('./approve.ts')).approve,
  reject: async () => (await import('./reject.ts')).reject,
  rollback: async () => (await import('./rollback.ts')).rollback,
  report: async () => (await import('./report.ts')).report,
  replay: async () => (await import('./replay.ts')).replay,
  audit: async () => (await import('./audit.ts')).audit,
  backtest: async () => (await import('./backtest.ts')).backtest,
  diagnose: async () => (await import('./diagnose.ts')).diagnose,
  demo: async () => (await import('./demo.ts')).demo,
  completion: async () => (await import('./completion.ts')).completion,
} as const satisfies Record<string, () => Promise<CommandSpec>>;

export type VerbName = keyof typeof loaders;
export const VERB_NAMES = Object.keys(loaders) as VerbName[];

/** Every verb, loaded (tests, shell completion, the build's help metadata). */
export async function loadCommands(): Promise<CommandSpec[]> {
  return Promise.all(VERB_NAMES.map((name) => loaders[name]()));
}
