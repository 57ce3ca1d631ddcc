// The policy schema as JSON Schema, for editors (yaml-language-server:
// `# yaml-language-server: $schema=…`) and other tools. Generated from the
// zod schema, so it cannot drift from what the loader accepts — except for
// the cross-field rules (exactly one provider, conditions, PromQL), which
// only the loader checks; their descriptions say so.

import { z } from 'zod';
import { policySchema } from './schema/policy.ts';

export type JsonSchemaDraft = 'draft-7' | 'draft-2020-12';

export const SCHEMA_ID = 'https://ctpilot.dev/schemas/retraining-policy.v1.json';

export function policyJsonSchema(draft: JsonSchemaDraft = 'draft-7'): Record<string, unknown> {
  // `input` shape: defaults are optional for the author, and shown as defaults.
  const schema = z.toJSONSchema(policySchema, {
    io: 'input',
    target: draft,
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return { ...schema, $id: SCHEMA_ID };
}
