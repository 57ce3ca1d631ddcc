// The placeholder values a policy provides by itself. Kept apart from
// requests.ts (which needs the PromQL parser) so workflow code can use it
// without bundling the parser.
import type { Policy } from './schema/policy.ts';

/** The placeholder values a policy provides by itself; the controller adds `version` (and fleet instances `model.tags.*`). */
export function templateValues(
  policy: Policy,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const v: Record<string, string> = {
    'policy.name': policy.metadata.name,
    'model.alias.champion': policy.model.aliases.champion,
    'model.alias.challenger': policy.model.aliases.challenger,
  };
  if (policy.model.name !== undefined) v['model.name'] = policy.model.name;
  for (const [k, x] of Object.entries(policy.metadata.labels)) v[`labels.${k}`] = x;
  return { ...v, ...extra };
}
