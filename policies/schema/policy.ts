// The retraining policy, `apiVersion: ctpilot/v1`, `kind: RetrainingPolicy`.
// Objects are strict: an unknown key is an error with the nearest valid key
// as a hint, because a misspelt `cooldwon` silently ignored is a retraining
// storm waiting to happen. (At least one metric and one trigger is checked
// in semantic.ts on the raw document, so a metric with an invalid name does
// not also count as missing.)

import { z } from 'zod';
import { parseDuration } from '../duration.ts';
import { duration, labelKey, metricName, policyName, receiverName, text, triggerName } from './common.ts';
import { diagnosis } from './diagnosis.ts';
import { modelRef, promotion, receiver, shadow, training } from './lifecycle.ts';
import { errorPolicy, metric, noDataPolicy } from './metrics.ts';
import { guards, trigger } from './triggers.ts';

export const API_VERSION = 'ctpilot/v1';
export const KIND = 'RetrainingPolicy';

export const metadata = z
  .strictObject({
    name: policyName,
    owner: text('Team or person responsible; shown in notifications.').optional(),
    description: text('What this policy is for.').optional(),
    labels: z
      .record(labelKey, z.string({ error: 'label values are strings; quote numbers and booleans' }))
      .meta({
        description:
          'Labels for selecting policies (`ctpilot list -l tier=critical`) and for {{ labels.<key> }} placeholders.',
      })
      .default({}),
    annotations: z
      .record(z.string(), z.string())
      .meta({ description: 'Free-form notes; not interpreted.' })
      .default({}),
  })
  .meta({ description: 'Identity of the policy.' });

export const evaluate = z
  .strictObject({
    every: duration('How often metrics are collected and the policy evaluated (at least 1s).')
      // `0s` or `1ms` would make the controller evaluate in a tight loop:
      // Prometheus, PostgreSQL and the workflow history would take the load.
      .refine((v) => (parseDuration(v) ?? 1000) >= 1000, {
        error: (iss) => `\`${String(iss.input)}\` is too short: a policy is evaluated at most once a second`,
        params: { code: 'bad-duration', hint: 'write 1s or more, e.g. 30s or 5m' },
      })
      .default('5m'),
    onNoData: noDataPolicy.default('inconclusive'),
    onError: errorPolicy.default('error'),
    inconclusiveLimit: z
      .number({ error: 'expected a whole number' })
      .int({ error: 'expected a whole number' })
      .min(0)
      .default(3)
      .meta({
        description:
          'Alert when a metric has had no usable measurement for this many consecutive evaluations; 0 disables.',
      }),
  })
  .meta({
    description: 'Evaluation cadence and the default handling of missing data and failed measurements.',
  });

export const policySchema = z
  .strictObject({
    apiVersion: z.literal(API_VERSION, {
      error: `unsupported apiVersion; this version of ctpilot reads ${API_VERSION}`,
    }),
    kind: z.literal(KIND, { error: `unsupported kind; expected ${KIND}` }),
    metadata,
    model: modelRef,
    evaluate: evaluate.default({
      every: '5m',
      onNoData: 'inconclusive',
      onError: 'error',
      inconclusiveLimit: 3,
    }),
    dryRun: z.boolean({ error: 'expected true or false' }).default(false).meta({
      description: 'Evaluate and record decisions but never act: the way to try a policy before it acts.',
    }),
    metrics: z
      .record(metricName, metric)
      .meta({ description: 'What is measured. Each name becomes a variable in conditions.' }),
    triggers: z
      .record(triggerName, trigger)
      .meta({ description: 'When to act, evaluated in the order written.' }),
    guards: guards.default({
      holdAlertsInMaintenance: false,
      failureBackoff: { initial: '10m', max: '24h' },
    }),
    diagnosis: diagnosis.optional(),
    training: training.optional(),
    shadow: shadow.optional(),
    promotion: promotion.optional(),
    notify: z
      .record(receiverName, receiver)
      .meta({ description: 'Notification receivers by name.' })
      .default({}),
  })
  .meta({
    title: 'ctpilot RetrainingPolicy',
    description:
      'What “this model has decayed” means for one model (or a fleet), and what to do about it. Reference: docs/policies.md.',
  });

/** A validated policy, with defaults filled in. Plain JSON: it crosses Temporal boundaries as is. */
export type Policy = z.output<typeof policySchema>;
/** What a user may write (defaults optional). */
export type PolicyInput = z.input<typeof policySchema>;
