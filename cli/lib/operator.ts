// What the operator verbs share: who is asking (--by, recorded in the audit
// history), why (--reason), how long to wait for the workflow's answer
// (--timeout), and how a refusal is printed.
import { parseDuration } from '../../policies/duration.ts';
import type { FlagSpec } from './command.ts';
import { EXIT, UserError } from './errors.ts';
import { type Io, printJson, type Style } from './io.ts';
import type { Refused } from './refusals.ts';

export const byFlag: FlagSpec = {
  name: 'by',
  valueName: 'name',
  description: 'who is asking, recorded in the audit history (default: $USER)',
};

export const reasonFlag = (required: boolean): FlagSpec => ({
  name: 'reason',
  valueName: 'text',
  description: required
    ? 'why (required; recorded in the audit history)'
    : 'why (recorded in the audit history)',
});

export const timeoutFlag = (fallback: string): FlagSpec => ({
  name: 'timeout',
  valueName: 'duration',
  description: 'how long to wait for the workflow to answer (e.g. 30s, 5m)',
  default: fallback,
});

type Flags = Readonly<Record<string, string | boolean | undefined>>;

/** The operator's name: --by, else $USER (or $LOGNAME). */
export function operator(flags: Flags, io: Io): string {
  const by = typeof flags.by === 'string' ? flags.by.trim() : (io.env.USER ?? io.env.LOGNAME ?? '').trim();
  if (!by)
    throw new UserError(
      'who is asking? $USER is not set and --by was not given',
      'add --by <your name>: it is recorded in the audit history',
    );
  return by;
}

/** --reason, required or not; an empty reason is no reason. */
export function reason(flags: Flags, required: true, verb: string): string;
export function reason(flags: Flags, required: false, verb: string): string | undefined;
export function reason(flags: Flags, required: boolean, verb: string): string | undefined {
  const text = typeof flags.reason === 'string' ? flags.reason.trim() : '';
  if (!text && required)
    throw new UserError(
      `${verb} needs a reason`,
      `add --reason "<why>": it is recorded in the audit history with your name`,
    );
  return text || undefined;
}

export function timeoutMs(flags: Flags): number {
  const text = String(flags.timeout ?? '');
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new UserError(
      `--timeout must be a duration, got ${JSON.stringify(text)}`,
      'write e.g. 30s, 2m or 1h',
    );
  return ms;
}

/** Prints a workflow's refusal (stderr, or JSON on stdout) and returns exit code 1. */
export function refusal(io: Io, style: Style, json: boolean, refused: Refused, extra: object = {}): number {
  if (json) printJson(io, { ok: false, refused: refused.message, fix: refused.fix ?? null, ...extra });
  else
    io.stderr.write(
      `${style.red('refused:')} ${refused.message}\n${refused.fix ? `${style.cyan('fix:')} ${refused.fix}\n` : ''}`,
    );
  return EXIT.failed;
}
