// The one module in policies/ that touches the file system: reading policy
// files and directories (a file larger than the limit is refused without
// being read), and the Node-backed sources for secrets.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { type LoadOptions, type LoadResult, loadPolicy } from './loader.ts';
import type { SecretSources } from './secrets.ts';
import { DEFAULT_LIMITS, tooLargeIssue } from './yaml-source.ts';

/** Load one policy file. File-system errors (missing file, permission) are thrown: they are not policy problems. */
export async function readPolicyFile(
  path: string,
  options: LoadOptions & { displayName?: string } = {},
): Promise<LoadResult> {
  const max = options.limits?.maxBytes ?? DEFAULT_LIMITS.maxBytes;
  const file = options.displayName ?? path;
  // Refuse an enormous file without reading it. (If it grows between stat and
  // read, the loader's own size check still refuses it.)
  const size = (await stat(path)).size;
  if (size > max) return { ok: false, file, issues: [tooLargeIssue(file, size, max)] };
  return loadPolicy(await readFile(path), file, options);
}

const POLICY_FILE = /\.ya?ml$/i;

/** Policy files under a directory (recursively, skipping hidden entries and node_modules), sorted. */
export async function findPolicyFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && POLICY_FILE.test(e.name)) out.push(p);
    }
  };
  await walk(dir);
  return out.sort();
}

/** Files given on a command line: directories are expanded, files taken as they are. */
export async function expandPolicyPaths(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const s = await stat(p);
    if (s.isDirectory()) out.push(...(await findPolicyFiles(p)));
    else out.push(p);
  }
  return out;
}

/** Load every policy in a directory. */
export async function readPolicyDir(dir: string, options: LoadOptions = {}): Promise<LoadResult[]> {
  const files = await findPolicyFiles(dir);
  return Promise.all(
    files.map((f) => readPolicyFile(f, { ...options, displayName: relative(process.cwd(), f) || f })),
  );
}

/** Secrets from the worker's environment and file system. */
export function nodeSecretSources(env: NodeJS.ProcessEnv = process.env): SecretSources {
  return {
    env: (name) => env[name],
    readFile: (path) => readFile(path, 'utf8'),
  };
}
