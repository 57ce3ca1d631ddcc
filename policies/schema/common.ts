// Building blocks shared by the policy schema: durations, names, secrets,
// expressions. Each carries a description (editors show it through the JSON
// Schema export) and an error message that says what was expected.

import { z } from 'zod';
import { DURATION_FORMS, DURATION_PATTERN, parseDuration } from '../duration.ts';
import { SECRET_FORMS, SECRET_REF } from '../secrets.ts';

/**
 * Hints for pattern failures, keyed by the pattern's source text as zod
 * reports it (`String(regex)`); the loader turns a failed pattern into an
 * issue with this code and hint.
 */
export const PATTERN_HINTS = new Map<
  string,
  { code: 'bad-duration' | 'bad-name' | 'literal-secret'; hint: string }
>();

function patterned(
  re: RegExp,
  code: 'bad-duration' | 'bad-name' | 'literal-secret',
  what: (input: unknown) => string,
  hint: string,
  typeError = `expected ${hint}`,
) {
  PATTERN_HINTS.set(String(re), { code, hint });
  return z.string({ error: typeError }).regex(re, { error: (iss) => what(iss.input) });
}

/** `30s`, `5m`, `24h`, `7d`, `1h30m`. */
export function duration(description: string) {
  return (
    patterned(
      DURATION_PATTERN,
      'bad-duration',
      (v) => `\`${String(v)}\` is not a duration`,
      DURATION_FORMS,
      `expected a duration (${DURATION_FORMS})`,
    )
      // The pattern admits `999999999999d`, which no clock can count to: refused
      // here, rather than failing every evaluation that needs the number.
      .refine((v) => !DURATION_PATTERN.test(v) || parseDuration(v) !== undefined, {
        error: (iss) => `\`${String(iss.input)}\` is too long to be a duration`,
        params: { code: 'bad-duration', hint: 'durations must stay under about 285,000 years (2^53 ms)' },
      })
      .meta({
        description: `${description} Duration: ${DURATION_FORMS}.`,
        examples: ['5m'],
      })
  );
}

/** DNS-label style, because the name becomes part of Temporal workflow ids (`policy:<name>`) and URLs. */
export const POLICY_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const policyName = patterned(
  POLICY_NAME,
  'bad-name',
  (v) => `\`${String(v)}\` is not a valid policy name`,
  'lower-case letters, digits and -, starting and ending with a letter or digit, at most 63 characters (e.g. fraud-detector)',
).meta({
  description: 'Unique name of the policy; its controller workflow is `policy:<name>`.',
  examples: ['fraud-detector'],
});

/** Metric names are variables in conditions, so they must be CEL identifiers. */
export const METRIC_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
export const metricName = patterned(
  METRIC_NAME,
  'bad-name',
  (v) => `\`${String(v)}\` is not a valid metric name`,
  'a name usable in conditions: letters, digits and _, not starting with a digit (e.g. labels_seen, not labels-seen)',
);

export const TRIGGER_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;
export const triggerName = patterned(
  TRIGGER_NAME,
  'bad-name',
  (v) => `\`${String(v)}\` is not a valid trigger name`,
  'letters, digits, - and _, starting with a letter (e.g. slo-breach)',
);

export const RECEIVER_NAME = TRIGGER_NAME;
export const receiverName = patterned(
  /^[A-Za-z][A-Za-z0-9_-]{0,62}$/,
  'bad-name',
  (v) => `\`${String(v)}\` is not a valid receiver name`,
  'letters, digits, - and _, starting with a letter (e.g. oncall)',
);

/** Kubernetes-style label keys (optional prefix/) and values. */
export const LABEL_KEY =
  /^(?:[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?\/)?[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
export const labelKey = patterned(
  LABEL_KEY,
  'bad-name',
  (v) => `\`${String(v)}\` is not a valid label key`,
  'a Kubernetes-style label key: letters, digits, -, _ and ., optionally prefixed by a domain and / (e.g. tier, team.example.com/owner)',
);

/** A string that must be exactly one secret reference. */
export function secret(description: string) {
  return patterned(
    SECRET_REF,
    'literal-secret',
    () => 'secrets must be references, not values',
    `write ${SECRET_FORMS}`,
    'expected a secret reference',
  ).meta({
    description: `${description} A secret: write ${SECRET_FORMS}; the value is resolved by the worker at run time and never stored or printed.`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a secret reference, not a JS template
    examples: ['${env:WEBHOOK_SECRET}'],
  });
}

/** A string that may embed secret references (a URL with a token in its path, a header value). */
export function maybeSecret(description: string) {
  return z
    .string({ error: 'expected a string' })
    .min(1, { error: 'must not be empty' })
    .meta({ description: `${description} May contain secret references: ${SECRET_FORMS}.` });
}

/** A URL, possibly with embedded secret references. */
export function url(description: string) {
  return maybeSecret(description).meta({ examples: ['https://hooks.example.com/ctpilot'] });
}

/** A CEL condition; checked against the policy's metrics by the loader. */
export function condition(description: string) {
  return z
    .string({
      error: 'expected a condition: a CEL expression such as `precision.breached || recall.breached`',
    })
    .min(1, { error: 'the condition is empty' })
    .meta({
      description: `${description} A CEL expression over the policy's metrics: each metric is a variable with fields value, ok, breached, inconclusive, error, noData, phase, reason, samples (and drifted for drift metrics, firing for alert metrics, baseline for change objectives, lower/upper for learned objectives).`,
      examples: ['precision.breached || recall.breached'],
    });
}

/** A plain string; `${…}` references are not resolved here, so writing one is a mistake the loader reports. */
export function text(description: string) {
  return z.string({ error: 'expected a string' }).meta({ description });
}

export function nonEmptyText(description: string) {
  return z
    .string({ error: 'expected a string' })
    .min(1, { error: 'must not be empty' })
    .meta({ description });
}

export function positiveInt(description: string) {
  return z
    .number({ error: 'expected a whole number' })
    .int({ error: 'expected a whole number' })
    .min(1, { error: 'must be at least 1' })
    .meta({ description });
}

export function finite(description: string) {
  return z.number({ error: 'expected a number' }).meta({ description });
}

export const severity = z
  .enum(['critical', 'warning', 'info'])
  .meta({ description: 'Severity passed to notifications (Alertmanager `severity` label).' });

/**
 * A refinement that runs even when sibling fields already failed (zod skips
 * refinements after an error by default), so one pass reports every
 * problem. It only runs on objects, so `fn` may read fields but must not
 * assume their types.
 */
export function refineObject<T>(fn: (value: T, ctx: z.RefinementCtx<T>) => void) {
  return z.superRefine<T>(fn, {
    when: (payload) =>
      typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value),
  });
}

/** Exactly one of `keys` must be present: reported as one issue on the object. */
export function exactlyOne<T extends Record<string, unknown>>(
  keys: readonly (keyof T & string)[],
  what: string,
) {
  return refineObject<T>((value, ctx) => {
    const present = keys.filter((k) => value[k] !== undefined);
    if (present.length === 1) return;
    ctx.addIssue({
      code: 'custom',
      message:
        present.length === 0
          ? `${what} needs exactly one of: ${keys.join(', ')}`
          : `${what} has ${present.join(' and ')}; exactly one of ${keys.join(', ')} is allowed`,
      params: { code: 'one-of', hint: `keep one of: ${keys.join(', ')}` },
    });
  });
}
