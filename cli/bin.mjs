#!/usr/bin/env node
// `npx ctpilot`: the compiled CLI in dist/ when it was built from the
// sources as they are now (the bootstrap builds it; `npm run build` too),
// else the TypeScript sources through tsx — so an edit is never hidden
// behind a stale build, only slower to start until the next build.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceFingerprint } from '../infra/build-fingerprint.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const stamp = join(root, 'dist', '.sources');
const compiled =
  process.env.CTPILOT_FROM_SOURCES !== '1' &&
  existsSync(stamp) &&
  readFileSync(stamp, 'utf8').trim() === sourceFingerprint(root);

if (compiled) {
  await import('../dist/cli/entry.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('./main.ts');
  process.exitCode = await main(process.argv.slice(2));
}
