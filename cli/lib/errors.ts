// The CLI's two kinds of failure. A UserError is the user's to fix — a
// missing file, a bad argument — and is printed as a message with the fix,
// no stack. Anything else is our fault: it is printed as a bug with its
// stack and where to report it.

/** A mistake in how ctpilot was invoked or in what it was pointed at. Exit code 2. */
export class UserError extends Error {
  /** How to fix it, printed under the message. */
  readonly fix: string | undefined;
  constructor(message: string, fix?: string) {
    super(message);
    this.name = 'UserError';
    this.fix = fix;
  }
}

export const EXIT = {
  /** Everything checked out. */
  ok: 0,
  /** The command ran and a check failed (an invalid policy). */
  failed: 1,
  /** Wrong usage: unknown verb or flag, missing argument, unreadable file. */
  usage: 2,
  /** An internal fault: a bug in ctpilot (sysexits EX_SOFTWARE). */
  internal: 70,
} as const;

export const REPORT_URL = 'https://github.com/ctpilot/ctpilot/issues';

/** A file-system error as a UserError that says what to do. */
export function fileError(path: string, e: unknown, action: 'read' | 'write' = 'read'): UserError {
  const code = (e as { code?: string }).code;
  switch (code) {
    case 'ENOENT':
      return new UserError(
        `cannot ${action} ${path}: no such file or directory`,
        action === 'read'
          ? 'check the path; policies are .yaml files or directories of them'
          : 'check that the directory exists',
      );
    case 'EACCES':
    case 'EPERM':
      return new UserError(`cannot ${action} ${path}: permission denied`, 'check the file permissions');
    case 'EISDIR':
      return new UserError(`${path} is a directory`, 'give a policy file');
    default:
      return new UserError(`cannot ${action} ${path}: ${(e as Error).message}`);
  }
}
