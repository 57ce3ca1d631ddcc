// Triggers (a condition, its persistence, its requirements, an action) and
// guards (what may hold an action back).

import { z } from 'zod';
import { condition, duration, positiveInt, receiverName, refineObject, severity, text } from './common.ts';

export const persistence = z
  .union(
    [
      positiveInt('Consecutive evaluations the condition must hold.'),
      z
        .strictObject({
          atLeast: positiveInt('Evaluations in the window where the condition held.'),
          of: positiveInt('Window size: the last N evaluations that could be decided.'),
        })
        .check(
          refineObject((v, ctx) => {
            if (typeof v.atLeast === 'number' && typeof v.of === 'number' && v.atLeast > v.of) {
              ctx.addIssue({
                code: 'custom',
                message: `atLeast (${v.atLeast}) is larger than the window (of: ${v.of}); the trigger could never fire`,
                path: ['atLeast'],
                params: { code: 'bad-value' },
              });
            }
          }),
        ),
    ],
    {
      error: 'expected a number of consecutive evaluations (for: 3) or a window (for: { atLeast: 3, of: 5 })',
    },
  )
  .meta({
    description:
      'Persistence: `for: 3` needs the condition on 3 consecutive decided evaluations; `for: { atLeast: 3, of: 5 }` needs it on 3 of the last 5.',
  });

export type Persistence = z.output<typeof persistence>;

export const trigger = z
  .strictObject({
    description: text('Why this trigger exists, for explanations and notifications.').optional(),
    when: condition('The condition.'),
    for: persistence.default(1),
    require: z
      .union([condition('A requirement.'), z.array(condition('A requirement.')).min(1)], {
        error: 'expected a condition or a list of conditions',
      })
      .meta({
        description:
          'Conditions that must also hold before the action is taken (e.g. enough labelled samples: `labels_seen.value >= 500`). A requirement that is false or undecidable holds the action back, with the reason.',
      })
      .optional(),
    action: z.enum(['retrain', 'alert', 'rollback']).meta({
      description:
        'What to do when the condition persists: start a retraining, send an alert, or roll back to the previous champion.',
    }),
    severity: severity.optional(),
    dryRun: z.boolean({ error: 'expected true or false' }).default(false).meta({
      description: 'Evaluate and record, but never act (the decision says what would have happened).',
    }),
    onInconclusive: z.enum(['hold', 'reset']).default('hold').meta({
      description:
        'An evaluation where the condition cannot be decided (missing data): `hold` skips it (counts neither way), `reset` starts persistence over.',
    }),
    repeatEvery: duration(
      'Alerts: send again while still firing, at most this often. Default: once per episode.',
    ).optional(),
    notify: z
      .array(receiverName)
      .meta({ description: 'Receivers (from `notify`) for this trigger; default: every receiver.' })
      .optional(),
  })
  .meta({ description: 'A condition over metric results that, once persistent, takes an action.' });

export type Trigger = z.output<typeof trigger>;

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
const CLOCK = /^(?:[01]\d|2[0-3]):[0-5]\d$/;

export const maintenanceWindow = z
  .strictObject({
    reason: text('Why (shown when an action is held back).').optional(),
    from: z.iso
      .datetime({ offset: true, error: 'expected an ISO 8601 date-time such as 2025-11-28T00:00:00Z' })
      .optional(),
    to: z.iso
      .datetime({ offset: true, error: 'expected an ISO 8601 date-time such as 2025-12-01T00:00:00Z' })
      .optional(),
    weekly: z
      .strictObject({
        days: z.array(z.enum(WEEKDAYS)).min(1).meta({ description: 'Days the window starts on.' }),
        start: z.string().regex(CLOCK, { error: 'expected a time of day as HH:MM, e.g. 22:00' }),
        end: z
          .string()
          .regex(CLOCK, { error: 'expected a time of day as HH:MM, e.g. 06:00' })
          .meta({ description: 'End time; earlier than start means the window runs past midnight.' }),
        timezone: z.string().default('UTC').meta({ description: 'IANA time zone, e.g. Europe/Paris.' }),
      })
      .optional(),
  })
  .check(
    refineObject((v, ctx) => {
      const once = v.from !== undefined || v.to !== undefined;
      if (once && v.weekly !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: 'a maintenance window is either from/to or weekly, not both',
          params: { code: 'one-of' },
        });
      } else if (!once && v.weekly === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: 'a maintenance window needs from and to, or weekly',
          params: {
            code: 'missing-key',
            hint: 'e.g. { from: 2025-11-28T00:00:00Z, to: 2025-12-01T00:00:00Z } or { weekly: { days: [sat], start: "22:00", end: "06:00" } }',
          },
        });
      } else if (once && (v.from === undefined || v.to === undefined)) {
        ctx.addIssue({
          code: 'custom',
          message: 'a one-off maintenance window needs both from and to',
          params: { code: 'missing-key' },
        });
      } else if (
        typeof v.from === 'string' &&
        typeof v.to === 'string' &&
        Date.parse(v.from) >= Date.parse(v.to)
      ) {
        ctx.addIssue({
          code: 'custom',
          message: '`from` must be before `to`',
          path: ['to'],
          params: { code: 'bad-value' },
        });
      }
    }),
  )
  .meta({ description: 'A period in which retraining is held back: one-off (from/to) or weekly.' });

export type MaintenanceWindow = z.output<typeof maintenanceWindow>;

export const guards = z
  .strictObject({
    cooldown: duration('Minimum time between two retrains of this policy.').optional(),
    budget: z
      .strictObject({
        retrains: positiveInt('How many retrains (and rollbacks) are allowed …'),
        per: duration('… in this rolling period.'),
      })
      .meta({ description: 'Retrain budget over a rolling period.' })
      .optional(),
    maintenance: z
      .array(maintenanceWindow)
      .meta({ description: 'Periods in which retraining is held back.' })
      .optional(),
    holdAlertsInMaintenance: z
      .boolean()
      .default(false)
      .meta({ description: 'Also hold back alerts during maintenance windows.' }),
    failureBackoff: z
      .strictObject({
        initial: duration(
          'Hold after the first failed retrain; doubled after each further consecutive failure.',
        ).default('10m'),
        max: duration('The longest hold, however many retrains failed in a row.').default('24h'),
      })
      .default({ initial: '10m', max: '24h' })
      .meta({
        description:
          'Backoff after consecutive failed retrains (training or its request failing), applied even without a cooldown: a retrain that keeps failing does not run in a tight loop. A retrain that ends otherwise resets it.',
      }),
  })
  .meta({
    description:
      'What holds actions back. Rollbacks are never held back: undoing a bad model is always allowed.',
  });

export type Guards = z.output<typeof guards>;
