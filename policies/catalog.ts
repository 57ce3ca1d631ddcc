// Checks across a set of policies (a directory applied together).

import type { PolicyIssue } from './issues.ts';
import type { LoadedPolicy } from './loader.ts';

/** Two files defining the same policy name would fight over one controller workflow. */
export function duplicateNames(policies: readonly LoadedPolicy[]): PolicyIssue[] {
  const first = new Map<string, LoadedPolicy>();
  const issues: PolicyIssue[] = [];
  for (const p of policies) {
    const name = p.spec.metadata.name;
    const earlier = first.get(name);
    if (earlier) {
      issues.push({
        code: 'duplicate-policy-name',
        message: `policy name \`${name}\` is already used by ${earlier.file}`,
        hint: 'each policy needs a unique metadata.name: it names its controller workflow (policy:<name>)',
        file: p.file,
        line: 1,
        column: 1,
        path: 'metadata.name',
        severity: 'error',
      });
    } else first.set(name, p);
  }
  return issues;
}

/** `tier=critical,team=risk` label selectors, as `ctpilot list -l` takes them. */
export function matchesLabels(policy: LoadedPolicy, selector: Readonly<Record<string, string>>): boolean {
  return Object.entries(selector).every(([k, v]) => policy.spec.metadata.labels[k] === v);
}
