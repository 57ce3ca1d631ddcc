#!/usr/bin/env node
// `npx ctpilot`: run the TypeScript sources through tsx, without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
