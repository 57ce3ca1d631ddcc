// What the stack needs to know about one local service. Adding a service is
// one file in services/ and one entry in services/index.ts.
import type { Config } from '../../workers/config.ts';
import type { LaunchSpec } from './processes.ts';

export type ServiceName = 'postgres' | 's3' | 'temporal' | 'prometheus' | 'mlflow';

export interface ServicePort {
  readonly port: number;
  /** The variable that moves this port, named in the "port in use" message. */
  readonly variable: string;
  readonly role: string;
}

export interface Service {
  readonly name: ServiceName;
  readonly title: string;
  /** The variable that points ctpilot at an external instance instead. */
  readonly externalVariable: string;
  /** True when the configuration points at an external instance: the stack starts nothing. */
  external(config: Config): boolean;
  /** Where clients reach it (URL or host:port). */
  endpoint(config: Config): string;
  ports(config: Config): ServicePort[];
  /** Services that must be healthy before this one starts. */
  readonly after: readonly ServiceName[];
  /** Creates directories and files the process needs; returns how to launch it. */
  prepare(config: Config): Promise<LaunchSpec> | LaunchSpec;
  /** One quick probe; true when the service answers as ready. Never throws. */
  healthy(config: Config): Promise<boolean>;
  /** Work once healthy, e.g. creating buckets. Idempotent. */
  ready?(config: Config): Promise<void>;
  readonly startTimeoutMs: number;
}

/** Fetch with a short timeout that never throws: undefined when nothing answered. */
export async function probe(
  url: string,
  init: RequestInit = {},
  timeoutMs = 2000,
): Promise<Response | undefined> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    return undefined;
  }
}
