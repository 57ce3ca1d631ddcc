// The compiled CLI's entry (dist/cli/entry.js, built by infra/build.mjs):
// help, parsing and suggestions come from the verbs' metadata the build
// wrote beside it, so `ctpilot --help` loads no verb; the verb that runs is
// the only one imported.
import { readFileSync } from 'node:fs';
import { loaders, type VerbName } from './commands/index.ts';
import type { VerbMeta } from './lib/command.ts';
import { processIo } from './lib/io.ts';
import { main } from './main.ts';

const verbs = JSON.parse(readFileSync(new URL('./verbs.json', import.meta.url), 'utf8')) as VerbMeta[];
process.exitCode = await main(process.argv.slice(2), processIo(), {
  verbs,
  load: (name) => loaders[name as VerbName](),
});
