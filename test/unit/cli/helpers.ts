// Run the CLI in-process and capture what it prints.

import { fileURLToPath } from 'node:url';
import { main } from '../../../cli/main.ts';

export const root = fileURLToPath(new URL('../../../', import.meta.url));

export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function ctpilot(
  argv: readonly string[],
  options: { tty?: boolean; env?: Record<string, string>; cwd?: string } = {},
): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    isTTY: options.tty ?? false,
    env: options.env ?? {},
    cwd: options.cwd ?? root,
  });
  return { code, stdout, stderr };
}
