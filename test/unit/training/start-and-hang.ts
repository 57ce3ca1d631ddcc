// Helper process for the adoption test: starts a supervised job, says so on
// stdout, and keeps supervising until the test SIGKILLs it.
import { superviseProcess } from '../../../activities/training/supervised-process.ts';

const [home, counter] = process.argv.slice(2) as [string, string];
setTimeout(() => process.stdout.write('started\n'), 200);
await superviseProcess(
  home,
  {
    key: 'run-adopt',
    command: '/bin/sh',
    args: ['-c', `echo started >> ${counter}; sleep 1; exit 0`],
    env: { PATH: process.env.PATH ?? '' },
    cwd: home,
  },
  { heartbeat: () => {} },
);
