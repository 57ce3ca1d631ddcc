// ctpilot demo [up|drift|calm|status|stop]: the runnable example on the
// stack `npm start` runs (`npm run demo` is `ctpilot demo`). The work is in
// examples/support-tickets/demo.ts; this file is the verb.

import { runningSimulator } from '../../examples/support-tickets/control.ts';
import {
  DEMO,
  DemoError,
  deployHookSecret,
  followDemo,
  nextSteps,
  setUpDemo,
} from '../../examples/support-tickets/demo.ts';
import type { Config } from '../../workers/config.ts';
import { type CommandSpec, jsonFlag } from '../lib/command.ts';
import { withTemporal } from '../lib/controllers.ts';
import { EXIT, UserError } from '../lib/errors.ts';
import { printJson } from '../lib/io.ts';
import { configFrom } from '../lib/services.ts';

const ACTIONS = ['up', 'drift', 'calm', 'status', 'stop'] as const;

function running(config: Config, env: Readonly<Record<string, string | undefined>>) {
  const simulator = runningSimulator(DEMO.instance, {
    hookSecret: deployHookSecret(config, env),
    env: env as NodeJS.ProcessEnv,
  });
  if (!simulator)
    throw new UserError(
      'the demo’s simulator is not running',
      'start the demo with `npm run demo` (with `npm start` running in another terminal)',
    );
  return simulator;
}

export const demo: CommandSpec = {
  name: 'demo',
  summary: 'the example model under a policy: champion, traffic, drift, retrain, shadow, approval, promotion',
  description:
    '`demo` (or `demo up`) needs the stack and worker of `npm start` running. It trains and registers the first ' +
    `champion of the model ${DEMO.model} (the example's scikit-learn ticket classifier), starts the example's ` +
    `traffic simulator on 127.0.0.1:${DEMO.port} (CTPILOT_DEMO_PORT moves it), applies ${DEMO.policyFile}, prints ` +
    'where to look and what to try, and follows the controller — each decision, each retrain phase, the ' +
    'approval it waits for — until Ctrl-C, which stops the simulator. Run again, it reuses what is there. ' +
    '`demo drift [--level L]` injects the product launch (tickets in new words; accuracy falls and a retrain ' +
    'follows), `demo calm` takes it back, `demo status` shows the simulator, `demo stop` stops a simulator ' +
    'left running by `--detach`.',
  args: [{ name: 'action', description: `what to do: ${ACTIONS.join(', ')} (default up)`, optional: true }],
  flags: [
    jsonFlag,
    { name: 'detach', description: 'set up and return, leaving the simulator running (up)' },
    { name: 'level', valueName: 'L', description: 'drift level from 0 to 1 (drift; default 1)' },
  ],
  examples: [
    { command: 'ctpilot demo', description: 'set it up and follow what the controller does (npm run demo)' },
    { command: 'ctpilot demo drift', description: 'the launch: accuracy falls, ctpilot retrains' },
    {
      command: 'ctpilot demo up --detach',
      description: 'set up and return; `ctpilot demo stop` ends the simulator',
    },
  ],
  async run({ args, flags, io, style }) {
    const action = (args[0] ?? 'up') as (typeof ACTIONS)[number];
    if (!ACTIONS.includes(action))
      throw new UserError(
        `unknown demo action ${JSON.stringify(args[0])}`,
        `use one of: ${ACTIONS.join(', ')}`,
      );
    const config = configFrom(io);
    const say = (line: string) => io.stdout.write(`${line}\n`);
    try {
      if (action === 'drift' || action === 'calm') {
        const level = action === 'calm' ? 0 : flags.level === undefined ? 1 : Number(flags.level);
        if (!Number.isFinite(level) || level < 0 || level > 1)
          throw new UserError(`--level must be a number from 0 to 1, got ${flags.level}`);
        await running(config, io.env).injectDrift(level);
        if (flags.json === true) printJson(io, { drift: level });
        else
          say(
            level > 0
              ? `drift ${level}: tickets now come in the launch's new words. Accuracy falls over the next minute; after three low evaluations ctpilot retrains (watch \`npm run demo\` or \`npx ctpilot status ${DEMO.policy}\`).`
              : 'drift 0: tickets are back to the words the first champion learned.',
          );
        return EXIT.ok;
      }
      if (action === 'status') {
        const state = await running(config, io.env).state();
        if (flags.json === true) printJson(io, state);
        else say(JSON.stringify(state, null, 2));
        return EXIT.ok;
      }
      if (action === 'stop') {
        const simulator = runningSimulator(DEMO.instance, {
          hookSecret: '',
          env: io.env as NodeJS.ProcessEnv,
        });
        if (!simulator) {
          say(style.dim('the demo’s simulator is not running'));
          return EXIT.ok;
        }
        await simulator.stop();
        say(`stopped the demo’s simulator (pid ${simulator.pid})`);
        return EXIT.ok;
      }

      return await withTemporal(config, async (t) => {
        const setup = await setUpDemo(config, t.client, io.env, say);
        if (flags.json === true) {
          printJson(io, {
            champion: setup.champion,
            simulator: {
              url: setup.simulator.url,
              pid: setup.simulator.pid,
              logPrefix: setup.simulator.logPrefix,
            },
            policy: {
              name: DEMO.policy,
              hash: setup.policy.hash,
              applied: setup.applied,
              changed: setup.changed,
            },
          });
        } else for (const line of nextSteps(config, setup)) say(line);
        if (flags.detach === true) return EXIT.ok;
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          await followDemo(t.client, say, stop.signal);
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        if (setup.simulatorStarted) {
          await setup.simulator.stop();
          say(
            `stopped the simulator. The policy's controller keeps running; \`npx ctpilot pause ${DEMO.policy} --reason "demo over"\` pauses it, \`npm run demo\` starts the simulator again.`,
          );
        }
        return EXIT.ok;
      });
    } catch (error) {
      if (error instanceof DemoError) throw new UserError(error.message, error.fix);
      throw error;
    }
  },
};
