// Starting, checking and stopping the local stack as a whole. Each service
// starts as soon as the ones it needs are healthy; one that is already
// running from an earlier start (its recorded process alive and healthy) is
// reused; one that a variable points elsewhere is only checked.
import type { Config } from '../../workers/config.ts';
import { isPortFree } from './ports.ts';
import { isAlive, launch, logPath, logTail, readRecord, stopRecorded } from './processes.ts';
import type { Service, ServiceName, ServicePort } from './service.ts';
import { SERVICES } from './services/index.ts';

/** A port the service needs is taken by a process that is not ours. */
export class PortInUseError extends Error {
  constructor(
    readonly service: Service,
    readonly port: ServicePort,
  ) {
    super(
      `port ${port.port} (${service.title}, ${port.role}) is already in use by another process. ` +
        `Set ${port.variable} to a free port, or set ${service.externalVariable} to use a ${service.title} that is already running.`,
    );
    this.name = 'PortInUseError';
  }
}

/** A service did not become healthy: says where its log is and shows its end. */
export class ServiceStartError extends Error {
  constructor(
    readonly service: Service,
    reason: string,
    readonly logFile?: string,
  ) {
    super(
      `${service.title} ${reason}` +
        (logFile
          ? `\n  log: ${logFile}\n  ${(logTail(logFile, 15) || '(empty)').split('\n').join('\n  ')}`
          : ''),
    );
    this.name = 'ServiceStartError';
  }
}

/** The start was interrupted (Ctrl-C, SIGTERM): what it had launched has been stopped. */
export class StackStartAborted extends Error {
  constructor() {
    super('the start was interrupted; the services it had launched were stopped');
    this.name = 'StackStartAborted';
  }
}

export type ServiceOutcome = 'started' | 'reused' | 'external';

export interface ServiceReport {
  readonly name: ServiceName;
  readonly title: string;
  readonly endpoint: string;
  readonly outcome: ServiceOutcome;
  readonly pid?: number;
  readonly seconds: number;
}

export interface RunningStack {
  readonly services: readonly ServiceReport[];
  /** Stops the services this start launched (not the reused or external ones). */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly only?: readonly ServiceName[];
  readonly log?: (line: string) => void;
  /**
   * Aborts the start: a service still starting is stopped, one not yet
   * launched is not launched, and the whole call stops what it started and
   * rejects with StackStartAborted.
   */
  readonly signal?: AbortSignal;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new StackStartAborted();
}

async function waitHealthy(
  config: Config,
  service: Service,
  pid?: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const deadline = Date.now() + service.startTimeoutMs;
  while (Date.now() < deadline) {
    throwIfAborted(signal);
    if (await service.healthy(config)) return true;
    if (pid !== undefined) {
      const record = readRecord(config.home, service.name);
      if (!record || record.pid !== pid || !isAlive(record)) {
        throw new ServiceStartError(service, 'exited during start-up', logPath(config.home, service.name));
      }
    }
    await sleep(250);
  }
  return false;
}

/** How long a port of a service that has just died may take to be released. */
const PORT_RELEASE_GRACE_MS = 5_000;

async function portFreed(port: number, graceMs: number): Promise<boolean> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    if (await isPortFree(port)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
}

async function ensureService(config: Config, service: Service, signal?: AbortSignal): Promise<ServiceReport> {
  throwIfAborted(signal);
  const began = Date.now();
  const report = (outcome: ServiceOutcome, pid?: number): ServiceReport => ({
    name: service.name,
    title: service.title,
    endpoint: service.endpoint(config),
    outcome,
    pid,
    seconds: (Date.now() - began) / 1000,
  });

  if (service.external(config)) {
    if (!(await service.healthy(config))) {
      throw new ServiceStartError(
        service,
        `at ${service.endpoint(config)} (${service.externalVariable}) is not answering: start it, or unset ${service.externalVariable} to let ctpilot run a local one`,
      );
    }
    return report('external');
  }

  const previous = readRecord(config.home, service.name);
  if (previous && isAlive(previous)) {
    if (await waitHealthy(config, service, previous.pid, signal)) {
      await service.ready?.(config);
      return report('reused', previous.pid);
    }
    // Alive but never healthy: a wedged process. Replace it.
    await stopRecorded(config.home, service.name);
  } else if (previous) {
    await stopRecorded(config.home, service.name); // stale record of a process that died
  }

  // A process of ours that has just died (killed, crashed, stopped) may still
  // hold its ports for a moment: a killed multi-threaded server's main thread
  // is already a zombie while its other threads are still closing its files.
  const graceMs = previous ? PORT_RELEASE_GRACE_MS : 0;
  for (const port of service.ports(config)) {
    if (port.port !== 0 && !(await portFreed(port.port, graceMs))) throw new PortInUseError(service, port);
  }
  const spec = await service.prepare(config);
  throwIfAborted(signal);
  const record = launch(config.home, service.name, spec);
  try {
    if (!(await waitHealthy(config, service, record.pid, signal))) {
      throw new ServiceStartError(
        service,
        `did not become healthy within ${service.startTimeoutMs / 1000} s`,
        record.logFile,
      );
    }
    await service.ready?.(config);
    throwIfAborted(signal);
  } catch (error) {
    await stopRecorded(config.home, service.name);
    throw error;
  }
  return report('started', record.pid);
}

function describe(report: ServiceReport): string {
  const how =
    report.outcome === 'started'
      ? `started, pid ${report.pid}, ${report.seconds.toFixed(1)} s`
      : report.outcome === 'reused'
        ? `already running, pid ${report.pid}`
        : 'external';
  return `  ✓ ${report.title.padEnd(30)} ${report.endpoint.padEnd(46)} (${how})`;
}

/**
 * Brings up every selected service (all by default). A failure stops what
 * this call started and rethrows, so nothing is left half up.
 */
export async function startStack(config: Config, options: StartOptions = {}): Promise<RunningStack> {
  // A service comes with the ones it needs (MLflow needs S3).
  const wanted = new Set(options.only ?? SERVICES.map((s) => s.name));
  for (const service of [...SERVICES].reverse()) {
    if (wanted.has(service.name)) for (const need of service.after) wanted.add(need);
  }
  const selected = SERVICES.filter((s) => wanted.has(s.name));
  const pending = new Map<ServiceName, Promise<ServiceReport>>();
  for (const service of selected) {
    const needs = service.after.map((name) => pending.get(name)).filter((p) => p !== undefined);
    const promise = Promise.all(needs).then(async () => {
      const report = await ensureService(config, service, options.signal);
      options.log?.(describe(report));
      return report;
    });
    pending.set(service.name, promise);
  }
  const settled = await Promise.allSettled(pending.values());
  const reports = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const launched = reports.filter((r) => r.outcome === 'started').map((r) => r.name);
  const stop = async () => {
    await stopStack(config, launched);
  };
  // A dependency's failure also rejects its dependants' promises: report it once.
  const failures = [...new Set(settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : [])))];
  if (options.signal?.aborted) {
    await stop();
    throw new StackStartAborted();
  }
  if (failures.length > 0) {
    await stop();
    throw failures.length === 1
      ? failures[0]
      : new AggregateError(failures, failures.map((f) => f.message).join('\n'));
  }
  return { services: reports, stop };
}

/** Stops local services by their recorded process ids, in reverse start order. */
export async function stopStack(config: Config, names?: readonly ServiceName[]): Promise<ServiceName[]> {
  const stopped: ServiceName[] = [];
  for (const service of [...SERVICES].reverse()) {
    if (names && !names.includes(service.name)) continue;
    if (await stopRecorded(config.home, service.name)) stopped.push(service.name);
  }
  return stopped;
}

export interface ServiceStatus {
  readonly name: ServiceName;
  readonly title: string;
  readonly endpoint: string;
  readonly state: 'running' | 'unhealthy' | 'stopped' | 'external' | 'external-unreachable';
  readonly pid?: number;
  readonly logFile?: string;
}

export async function stackStatus(config: Config): Promise<ServiceStatus[]> {
  return Promise.all(
    SERVICES.map(async (service): Promise<ServiceStatus> => {
      const base = { name: service.name, title: service.title, endpoint: service.endpoint(config) };
      if (service.external(config)) {
        return { ...base, state: (await service.healthy(config)) ? 'external' : 'external-unreachable' };
      }
      const record = readRecord(config.home, service.name);
      if (!record || !isAlive(record)) return { ...base, state: 'stopped' };
      const healthy = await service.healthy(config);
      return { ...base, state: healthy ? 'running' : 'unhealthy', pid: record.pid, logFile: record.logFile };
    }),
  );
}
