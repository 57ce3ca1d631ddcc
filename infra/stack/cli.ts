// `npm run stack -- <start|stop|status> [service…]`: the local stack by hand.
// `npm start` does this itself; this is for running the services without the
// worker, or looking at them.
import { ConfigError, loadConfig } from '../../workers/config.ts';
import { ensureLocalSecrets } from '../../workers/local-secrets.ts';
import { SERVICES, type ServiceName, serviceNamed } from './services/index.ts';
import { stackStatus, startStack, stopStack } from './stack.ts';

const USAGE = `usage: npm run stack -- <command> [service…]

commands:
  start [service…]   start the services (all by default) and leave them running
  stop [service…]    stop services started by ctpilot, by their recorded process ids
  status [--json]    show each service: running, stopped, unhealthy or external

services: ${SERVICES.map((s) => s.name).join(', ')}

examples:
  npm run stack -- start                 # the whole stack, in the background
  npm run stack -- start temporal mlflow # just these (and nothing they need)
  npm run stack -- status
  npm run stack -- stop`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const json = rest.includes('--json');
  const names = rest.filter((a) => !a.startsWith('--')).map((n) => serviceNamed(n).name as ServiceName);
  if (command === 'start') ensureLocalSecrets(loadConfig().home);
  const config = loadConfig();
  const only = names.length > 0 ? names : undefined;

  switch (command) {
    case 'start': {
      const stack = await startStack(config, { only, log: (line) => console.log(line) });
      console.log(`${stack.services.length} service(s) up; logs in ${config.home}/logs`);
      return 0;
    }
    case 'stop': {
      const stopped = await stopStack(config, only);
      console.log(stopped.length > 0 ? `stopped: ${stopped.join(', ')}` : 'nothing to stop');
      return 0;
    }
    case 'status': {
      const status = await stackStatus(config);
      if (json) console.log(JSON.stringify(status, null, 2));
      else {
        for (const s of status) {
          console.log(
            `${s.title.padEnd(30)} ${s.state.padEnd(21)} ${s.endpoint}${s.pid ? `  pid ${s.pid}` : ''}`,
          );
        }
      }
      return status.some((s) => s.state === 'unhealthy' || s.state === 'external-unreachable') ? 1 : 0;
    }
    default:
      console.error(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    console.error(
      error instanceof ConfigError ? `configuration error: ${error.message}` : `error: ${error.message}`,
    );
    process.exitCode = 1;
  },
);
