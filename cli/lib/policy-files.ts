// Loading the policy files named on a command line: directories expanded,
// each file read within the size limit, file-system failures turned into
// UserErrors (exit 2) while policy problems stay policy issues (exit 1).

import { readFile, stat } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { findPolicyFiles } from '../../policies/files.ts';
import { type LoadResult, loadPolicy } from '../../policies/loader.ts';
import { DEFAULT_LIMITS, tooLargeIssue } from '../../policies/yaml-source.ts';
import { fileError, UserError } from './errors.ts';

export interface LoadedFile {
  readonly path: string;
  /** As shown to the user (relative to the working directory). */
  readonly display: string;
  /** The text, when it decodes (for source excerpts). */
  readonly source: string | undefined;
  readonly result: LoadResult;
}

export async function expandArgs(paths: readonly string[], cwd: string): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const abs = resolve(cwd, p);
    let s: Awaited<ReturnType<typeof stat>>;
    try {
      s = await stat(abs);
    } catch (e) {
      throw fileError(p, e);
    }
    if (s.isDirectory()) {
      const found = await findPolicyFiles(abs);
      if (found.length === 0)
        throw new UserError(
          `no policy files (*.yaml, *.yml) under ${p}`,
          'point at a policy file or a directory that holds some',
        );
      out.push(...found);
    } else {
      out.push(abs);
    }
  }
  return [...new Set(out)];
}

export async function loadFiles(paths: readonly string[], cwd: string): Promise<LoadedFile[]> {
  const files = await expandArgs(paths, cwd);
  const out: LoadedFile[] = [];
  for (const path of files) {
    const display = relative(cwd, path) || path;
    let bytes: Uint8Array;
    try {
      const s = await stat(path);
      // Refuse enormous files without reading them.
      if (s.size > DEFAULT_LIMITS.maxBytes) {
        out.push({
          path,
          display,
          source: undefined,
          result: { ok: false, file: display, issues: [tooLargeIssue(display, s.size)] },
        });
        continue;
      }
      bytes = await readFile(path);
    } catch (e) {
      throw fileError(display, e);
    }
    const result = loadPolicy(bytes, display);
    let source: string | undefined;
    try {
      source =
        bytes.length <= DEFAULT_LIMITS.maxBytes
          ? new TextDecoder('utf-8', { fatal: true }).decode(bytes)
          : undefined;
    } catch {
      source = undefined;
    }
    out.push({ path, display, source, result });
  }
  return out;
}
