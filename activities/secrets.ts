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

/**
 * Text with every given secret value replaced by `[redacted]`: for output
 * ctpilot did not write itself (a training job's log) before it is kept
 * anywhere — the audit history, a workflow history, an MLflow artifact.
 * Values shorter than 6 characters are left alone: they would redact
 * ordinary words and are no secrets worth the name.
 */
export function redactValues(text: string, values: readonly string[]): string {
  let out = text;
  for (const value of values)
    if (value.length >= 6 && out.includes(value)) out = out.split(value).join('[redacted]');
  return out;
}
