// A verb is data plus one function: its name, its arguments and flags (each
// with a description), examples for `--help`, and `run`. main.ts turns the
// list of verbs into a commander program; adding a verb is adding a file
// to cli/commands/ and one line to cli/commands/index.ts (its loader).

import type { Io, Style } from './io.ts';

export interface ArgSpec {
  readonly name: string;
  readonly description: string;
  readonly variadic?: boolean;
  readonly optional?: boolean;
}

export interface FlagSpec {
  /** Long name without dashes, camelCase in `flags` (e.g. `strict`, `output`). */
  readonly name: string;
  readonly short?: string;
  readonly description: string;
  /** A flag with a value takes `<valueName>`; without one it is boolean. */
  readonly valueName?: string;
  readonly choices?: readonly string[];
  readonly default?: string | boolean;
}

export interface Example {
  readonly command: string;
  readonly description: string;
}

export interface CommandContext {
  /** Positional arguments, variadic ones flattened. */
  readonly args: readonly string[];
  readonly flags: Readonly<Record<string, string | boolean | undefined>>;
  readonly io: Io;
  readonly style: Style;
}

export interface CommandSpec {
  readonly name: string;
  /** One line, shown in `ctpilot --help`. */
  readonly summary: string;
  /** A paragraph, shown in `ctpilot <verb> --help`. */
  readonly description: string;
  readonly args: readonly ArgSpec[];
  readonly flags: readonly FlagSpec[];
  readonly examples: readonly Example[];
  /** Returns the exit code. Throws UserError for usage mistakes; anything else is a bug. */
  run(ctx: CommandContext): Promise<number>;
}

/** A verb without its code: what help, parsing and completion need (the build writes these). */
export type VerbMeta = Omit<CommandSpec, 'run'>;

/** `--json` is on every verb; declared once. */
export const jsonFlag: FlagSpec = {
  name: 'json',
  description: 'print machine-readable JSON on stdout instead of text',
};
