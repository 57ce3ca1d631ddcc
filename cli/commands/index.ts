// Every verb of the ctpilot command, in the order `ctpilot --help` lists them.
// A new verb is one file in this folder and one entry here.

import type { CommandSpec } from '../lib/command.ts';
import { apply } from './apply.ts';
import { audit } from './audit.ts';
import { backtest } from './backtest.ts';
import { diff } from './diff.ts';
import { explain } from './explain.ts';
import { schema } from './schema.ts';
import { validate } from './validate.ts';

export const commands: readonly CommandSpec[] = [validate, explain, schema, apply, diff, audit, backtest];
