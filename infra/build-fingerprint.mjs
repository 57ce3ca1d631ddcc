// What dist/ was built from, cheaply: the path, size and modification time
// of every TypeScript source it compiles. cli/bin.mjs compares it with the
// stamp on each start (a few milliseconds of stat calls) and runs the
// sources through tsx when they changed since the build, so an edit is never
// hidden behind a stale build.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const SOURCE_DIRS = [
  'cli',
  'policies',
  'stats',
  'workflows',
  'activities',
  'workers',
  'infra',
  'examples',
];
const SKIP = new Set(['node_modules', '.venv', 'dist', '.ctpilot', '__pycache__']);

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (SKIP.has(e.name)) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) walk(path, out);
    else if (e.name.endsWith('.ts') || e.name === 'tsconfig.json' || e.name === 'tsconfig.build.json') {
      const s = statSync(path);
      out.push(`${path}:${s.size}:${Math.floor(s.mtimeMs)}`);
    }
  }
}

export function sourceFingerprint(root) {
  const out = [];
  for (const d of SOURCE_DIRS) walk(join(root, d), out);
  for (const f of ['tsconfig.json', 'tsconfig.build.json']) {
    try {
      const s = statSync(join(root, f));
      out.push(`${f}:${s.size}:${Math.floor(s.mtimeMs)}`);
    } catch {}
  }
  out.sort();
  // FNV-1a over the list: no crypto import on the CLI's start path.
  let h = 0x811c9dc5;
  const text = out.join('\n');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${out.length}:${h.toString(16)}`;
}
