// Label selectors over policy metadata labels, in the Kubernetes style
// operators already type: `tier=critical`, `team!=search`, `canary` (has the
// label), `!canary` (has not), comma-separated, all must hold.
import { UserError } from './errors.ts';

export type Requirement =
  | { readonly key: string; readonly op: 'equals' | 'notEquals'; readonly value: string }
  | { readonly key: string; readonly op: 'exists' | 'notExists' };

const KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/;

export function parseSelector(text: string): Requirement[] {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length === 0)
    throw new UserError('empty label selector', 'write key=value, key!=value, key or !key, comma-separated');
  return parts.map((part) => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(part);
    const req: Requirement = m
      ? { key: m[1]!.trim(), op: m[2] === '!=' ? 'notEquals' : 'equals', value: m[3]!.trim() }
      : part.startsWith('!')
        ? { key: part.slice(1).trim(), op: 'notExists' }
        : { key: part, op: 'exists' };
    if (!KEY.test(req.key))
      throw new UserError(
        `not a label selector: ${JSON.stringify(part)}`,
        'write key=value, key!=value, key or !key, comma-separated (e.g. -l tier=critical,team!=search)',
      );
    return req;
  });
}

export function matches(
  requirements: readonly Requirement[],
  labels: Readonly<Record<string, string>>,
): boolean {
  return requirements.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case 'notExists':
        return !has;
      case 'equals':
        return has && labels[r.key] === r.value;
      // notEquals
      default:
        return !has || labels[r.key] !== r.value;
    }
  });
}
