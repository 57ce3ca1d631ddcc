// Checks a policy version sent to a running controller (`applyPolicy`), the
// same way `ctpilot validate` does. Here rather than in workflow code, whose
// bundle every cached controller carries.
import { loadPolicyData } from '../policies/loader.ts';
import type { Policy } from '../policies/schema/policy.ts';

export function createValidationActivities() {
  return {
    /** The problems of a policy document, one line each; none when it is valid. */
    async validatePolicy(input: { spec: Policy; file: string }): Promise<string[]> {
      const checked = loadPolicyData(input.spec, input.file);
      return checked.ok ? [] : checked.issues.map((i) => `${i.path || '(root)'}: ${i.message}`);
    },
  };
}
