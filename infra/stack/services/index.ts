import type { Service, ServiceName } from '../service.ts';
import { mlflow } from './mlflow.ts';
import { postgres } from './postgres.ts';
import { prometheus } from './prometheus.ts';
import { s3 } from './s3.ts';
import { temporal } from './temporal.ts';

/** Every local service, in a valid start order (each after the ones it needs). */
export const SERVICES: readonly Service[] = [postgres, s3, temporal, prometheus, mlflow];

export function serviceNamed(name: string): Service {
  const found = SERVICES.find((s) => s.name === name);
  if (!found) {
    throw new Error(
      `no service named ${JSON.stringify(name)}. Available: ${SERVICES.map((s) => s.name).join(', ')}`,
    );
  }
  return found;
}

export type { Service, ServiceName };
