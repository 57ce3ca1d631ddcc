// The worker's secret resolver: `${env:NAME}` from the worker's environment,
// `${file:/path}` from its filesystem. Secrets are resolved inside activities,
// at the moment of use, so their values never enter a workflow's history.
import { readFile } from 'node:fs/promises';
import { createSecretResolver, type SecretResolver } from '../policies/secrets.ts';

export function workerSecretResolver(env: NodeJS.ProcessEnv = process.env): SecretResolver {
  return createSecretResolver({ env: (name) => env[name], readFile: (path) => readFile(path, 'utf8') });
}

/** Resolves every value of a record that holds references; plain values pass through. */
export async function resolveRecord(
  resolver: SecretResolver,
  record: Readonly<Record<string, string>> | undefined,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(record ?? {}))
    out[key] = (await resolver.interpolate(value)).reveal();
  return out;
}
