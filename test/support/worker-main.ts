// A worker in its own process, for tests that kill workers (SIGKILL) and
// start them again: `node --import tsx test/support/worker-main.ts <orchestrator|training> <task queue>`.
// It reads the test stack from the environment, like a deployed worker would.
import { migrate } from '../../activities/postgres/migrate.ts';
import { createClients } from '../../workers/clients.ts';
import { loadConfig } from '../../workers/config.ts';
import { createOrchestratorWorker, createTrainingWorker } from '../../workers/orchestrator.ts';
import { quietTemporalRuntime } from './env.ts';

const [role, taskQueue] = process.argv.slice(2);
if ((role !== 'orchestrator' && role !== 'training') || !taskQueue) {
  console.error('usage: worker-main.ts <orchestrator|training> <task queue>');
  process.exit(2);
}
quietTemporalRuntime();
const config = loadConfig();
const clients = createClients(config);
await migrate(clients.pool);
const { worker } =
  role === 'orchestrator'
    ? await createOrchestratorWorker(config, clients, { taskQueue })
    : await createTrainingWorker(config, clients, { taskQueue });
process.once('SIGTERM', () => worker.shutdown());
const running = worker.run();
process.stdout.write('worker ready\n');
await running;
await clients.close();
