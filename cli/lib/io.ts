// Where a command writes, and whether it may use colour. Injected so tests
// run commands in-process and read what they printed.

export interface Io {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** stdout is a terminal (colour and decorations allowed). */
  readonly isTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

let pipeGuard = false;

export function processIo(): Io {
  if (!pipeGuard) {
    pipeGuard = true;
    // `ctpilot explain x | head`: the reader went away; stop quietly instead of crashing on EPIPE.
    for (const stream of [process.stdout, process.stderr]) {
      stream.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
        throw e;
      });
    }
  }
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: process.stdout.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
  };
}

export interface Style {
  readonly enabled: boolean;
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

/**
 * Colour only on a terminal, and never when NO_COLOR is set (no-color.org)
 * or TERM is dumb; FORCE_COLOR turns it on anyway (CI logs that render ANSI);
 * `--no-color` turns it off.
 */
export function styleFor(io: Io, flag?: boolean): Style {
  const env = io.env;
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0';
  const enabled =
    flag === false ? false : forced || (io.isTTY && env.NO_COLOR === undefined && env.TERM !== 'dumb');
  const id = (s: string) => s;
  return {
    enabled,
    red: enabled ? wrap(31, 39) : id,
    yellow: enabled ? wrap(33, 39) : id,
    green: enabled ? wrap(32, 39) : id,
    cyan: enabled ? wrap(36, 39) : id,
    bold: enabled ? wrap(1, 22) : id,
    dim: enabled ? wrap(2, 22) : id,
  };
}

/** Pretty JSON followed by a newline: what every `--json` prints. */
export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
