// The ctpilot command: builds a commander program from the verbs in
// cli/commands, runs one, and maps every outcome to an exit code:
// 0 ok, 1 a check failed, 2 usage (bad verb, flag or argument, unreadable
// file), 70 an internal fault (a bug: printed with its stack).

import { pathToFileURL } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import type { CommandSpec, VerbMeta } from './lib/command.ts';
import { EXIT, REPORT_URL, UserError } from './lib/errors.ts';
import { type Io, processIo, styleFor } from './lib/io.ts';

const VERSION = '0.1.0';

/**
 * The verbs main() offers: what each looks like (for help, parsing and
 * suggestions) and how to load it. The compiled CLI passes the metadata the
 * build wrote, so `--help` loads no verb at all; without it every verb is
 * loaded first (tests, the uncompiled path).
 */
export interface VerbRegistry {
  readonly verbs: readonly VerbMeta[];
  load(name: string): Promise<CommandSpec>;
}

async function allVerbs(): Promise<VerbRegistry> {
  const { loadCommands } = await import('./commands/index.ts');
  const commands = await loadCommands();
  return { verbs: commands, load: async (name) => commands.find((c) => c.name === name)! };
}

function examplesText(spec: VerbMeta): string {
  if (spec.examples.length === 0) return '';
  const width = Math.max(...spec.examples.map((e) => e.command.length));
  return `\nExamples:\n${spec.examples.map((e) => `  $ ${e.command.padEnd(width)}  # ${e.description}`).join('\n')}\n`;
}

const EXIT_CODES_HELP = `
Exit codes:
  0   ok
  1   a check failed (e.g. an invalid policy)
  2   usage error (unknown verb or flag, missing argument, unreadable file)
  70  internal error (a bug in ctpilot; please report it)
`;

/** Run the CLI with `argv` (without node and script), writing to `io`. Never throws; returns the exit code. */
export async function main(
  argv: readonly string[],
  io: Io = processIo(),
  registry?: VerbRegistry,
): Promise<number> {
  const { verbs: commands, load } = registry ?? (await allVerbs());
  let code: number = EXIT.ok;
  const program = new Command('ctpilot')
    .description('Continuous training on Temporal: retraining policies, evaluated and acted on durably.')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--no-color', 'never colour the output (also: NO_COLOR=1)')
    .helpOption('-h, --help', 'show help for ctpilot or a verb')
    .addHelpText(
      'after',
      `\nExamples:\n${commands
        .flatMap((c) => c.examples.slice(0, 1))
        .map((e) => `  $ ${e.command}`)
        .join('\n')}\n${EXIT_CODES_HELP}\nRun \`ctpilot <verb> --help\` for a verb's flags and examples.\n`,
    )
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(styleFor(io).red(s)),
    });

  for (const spec of commands) {
    const cmd = program
      .command(spec.name)
      .summary(spec.summary)
      .description(spec.description)
      .helpOption('-h, --help', 'show this help')
      .exitOverride();
    for (const a of spec.args) {
      const name = `${a.name}${a.variadic ? '...' : ''}`;
      cmd.argument(a.optional ? `[${name}]` : `<${name}>`, a.description);
    }
    for (const f of spec.flags) {
      const flag = f.name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      const opt = new Option(
        `${f.short ? `-${f.short}, ` : ''}--${flag}${f.valueName ? ` <${f.valueName}>` : ''}`,
        f.description,
      );
      if (f.choices) opt.choices(f.choices);
      if (f.default !== undefined) opt.default(f.default);
      cmd.addOption(opt);
    }
    cmd.addHelpText('after', examplesText(spec) + EXIT_CODES_HELP);
    cmd.action(async (...params: unknown[]) => {
      // commander passes the positional arguments, then the options object, then the command.
      const command = params[params.length - 1] as Command;
      const positional = params
        .slice(0, spec.args.length)
        .flatMap((p) => (Array.isArray(p) ? p : p === undefined ? [] : [p])) as string[];
      const options = command.optsWithGlobals() as Record<string, string | boolean | undefined>;
      const verb = await load(spec.name);
      code = await verb.run({
        args: positional,
        flags: options,
        io,
        style: styleFor(io, options.color as boolean | undefined),
      });
    });
  }

  try {
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT.usage;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    return failure(e, io);
  }
}

function failure(e: unknown, io: Io): number {
  const style = styleFor(io);
  if (e instanceof CommanderError) {
    // Help and version are "errors" to commander; they are successes to the user.
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
      return EXIT.ok;
    // commander has already printed its message.
    io.stderr.write(`${style.dim('see `ctpilot --help` or `ctpilot <verb> --help`')}\n`);
    return EXIT.usage;
  }
  if (e instanceof UserError) {
    io.stderr.write(
      `${style.red('error:')} ${e.message}\n${e.fix ? `${style.cyan('fix:')} ${e.fix}\n` : ''}`,
    );
    return EXIT.usage;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  io.stderr.write(
    `${style.red('internal error: this is a bug in ctpilot, please report it')} at ${REPORT_URL}\n` +
      `with the command you ran and this trace:\n\n${err.stack ?? err.message}\n`,
  );
  return EXIT.internal;
}

// Run when executed directly (`node --import tsx cli/main.ts …`), not when imported by bin.mjs or tests.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
