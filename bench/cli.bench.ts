// How fast the ctpilot command answers, side by side with the Temporal CLI on
// the same server, in one run: each command started as a process the way an
// operator or a script starts it, several times, medians and the ratio.
//
//   ctpilot --help, validate (one example), list, status <policy>
//   temporal workflow list, temporal workflow describe (the same questions)
//
// Starts the real stack on free ports, a worker and one policy.
//
//   node --import tsx bench/cli.bench.ts [runs]
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { stringify } from 'yaml';
import { temporalCli } from '../infra/stack/services/temporal.ts';
import { loadPolicy } from '../policies/loader.ts';
import { quietTemporalRuntime, uniqueName } from '../test/support/env.ts';
import { startTestStack } from '../test/support/test-stack.ts';
import { createClients } from '../workers/clients.ts';
import { loadConfig, PROJECT_ROOT } from '../workers/config.ts';
import { createOrchestratorWorker } from '../workers/orchestrator.ts';
import { applyPolicies } from '../workers/policy-sync.ts';
import { statusQuery } from '../workflows/messages.ts';
import { controllerWorkflowId } from '../workflows/policy-controller.ts';

const runs = Number(process.argv[2] ?? 7);
const stack = await startTestStack();
Object.assign(process.env, stack.env);
const config = loadConfig();
quietTemporalRuntime();
const clients = createClients(config);
const taskQueue = uniqueName('cli-bench');
const { worker } = await createOrchestratorWorker(config, clients, { taskQueue });
const running = worker.run();
const connection = await Connection.connect({ address: config.temporal.address });
const client = new Client({ connection, namespace: config.temporal.namespace });

try {
  const name = uniqueName('bench');
  const loaded = loadPolicy(
    stringify({
      apiVersion: 'ctpilot/v1',
      kind: 'RetrainingPolicy',
      metadata: { name },
      model: { name: `${name}-model` },
      evaluate: { every: '1h' },
      metrics: { accuracy: { prometheus: { query: 'vector(0.95)' }, objective: { min: 0.9 } } },
      triggers: { drop: { when: 'accuracy.breached', action: 'alert' } },
    }),
    `${name}.yaml`,
  );
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  await applyPolicies(client, [loaded.policy], { taskQueue });
  const handle = client.workflow.getHandle(controllerWorkflowId(name));
  while ((await handle.query(statusQuery)).evaluations < 1) await new Promise((r) => setTimeout(r, 200));

  const env = { ...process.env, CTPILOT_TASK_QUEUE: taskQueue, NO_COLOR: '1' };
  // Asynchronous: this process also runs the worker that answers `status`.
  const run = promisify(execFile);
  const timeOf = async (command: string, args: string[]): Promise<number> => {
    const t0 = performance.now();
    await run(command, args, { cwd: PROJECT_ROOT, env });
    return performance.now() - t0;
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const bench = async (command: string, args: string[]) => {
    await timeOf(command, args); // one warm-up: the file cache, as in an operator's second call
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await timeOf(command, args));
    return median(times);
  };
  const ctpilot = (...args: string[]) => bench(process.execPath, ['cli/bin.mjs', ...args]);
  const temporal = (...args: string[]) =>
    bench(temporalCli(config), [
      ...args,
      '--address',
      config.temporal.address,
      '--namespace',
      config.temporal.namespace,
    ]);

  const rows: Array<[string, number, string, number | undefined]> = [
    [
      'ctpilot --help',
      await ctpilot('--help'),
      'temporal --help',
      await bench(temporalCli(config), ['--help']),
    ],
    [
      'ctpilot validate policies/examples/fraud-slo.yaml',
      await ctpilot('validate', 'policies/examples/fraud-slo.yaml'),
      '',
      undefined,
    ],
    [
      'ctpilot list',
      await ctpilot('list'),
      'temporal workflow list',
      await temporal('workflow', 'list', '--limit', '20'),
    ],
    [
      `ctpilot status ${name}`,
      await ctpilot('status', name),
      'temporal workflow describe',
      await temporal('workflow', 'describe', '--workflow-id', controllerWorkflowId(name)),
    ],
  ];
  console.log(`\nmedians of ${runs} runs (after one warm-up), each a new process, same Temporal server\n`);
  console.log(
    `${'ctpilot'.padEnd(52)} ${'median'.padStart(8)}   ${'reference'.padEnd(28)} ${'median'.padStart(8)}  ratio`,
  );
  for (const [a, ams, b, bms] of rows)
    console.log(
      `${a.padEnd(52)} ${`${ams.toFixed(0)} ms`.padStart(8)}   ${b.padEnd(28)} ${bms === undefined ? '        ' : `${bms.toFixed(0)} ms`.padStart(8)}  ${bms === undefined ? '' : `${(ams / bms).toFixed(2)}×`}`,
    );
} finally {
  worker.shutdown();
  await running;
  await connection.close();
  await clients.close();
  await stack.stop();
}
