// Every verb of the ctpilot command, in the order `ctpilot --help` lists them.
// A new verb is one file in this folder and one entry here.

import type { CommandSpec } from '../lib/command.ts';
import { apply } from './apply.ts';
import { approve } from './approve.ts';
import { audit } from './audit.ts';
import { backtest } from './backtest.ts';
import { completion } from './completion.ts';
import { demo } from './demo.ts';
import { diff } from './diff.ts';
import { evaluate } from './evaluate.ts';
import { explain } from './explain.ts';
import { history } from './history.ts';
import { list } from './list.ts';
import { pause } from './pause.ts';
import { reject } from './reject.ts';
import { replay } from './replay.ts';
import { report } from './report.ts';
import { resume } from './resume.ts';
import { rollback } from './rollback.ts';
import { schema } from './schema.ts';
import { status } from './status.ts';
import { validate } from './validate.ts';

export const commands: readonly CommandSpec[] = [
  validate,
  explain,
  schema,
  apply,
  diff,
  list,
  status,
  history,
  evaluate,
  pause,
  resume,
  approve,
  reject,
  rollback,
  replay,
  report,
  audit,
  backtest,
  demo,
  completion,
];
