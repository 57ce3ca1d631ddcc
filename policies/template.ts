// `{{ model.name }}`-style placeholders in policy strings. A placeholder is a
// dotted variable name and nothing else: no filters, no logic, so a policy
// never becomes a program. Where a value lands inside PromQL, `promql.ts`
// decides how to escape it; here we only find placeholders and substitute
// plain text (training parameters, data-window parameters, URIs).

import { nearest } from './suggest.ts';

export type TemplateContext = 'query' | 'window' | 'training';

export interface Placeholder {
  /** `model.name` */
  readonly name: string;
  /** Offsets of `{{` and just after `}}` in the text. */
  readonly start: number;
  readonly end: number;
}

export interface TemplateProblem {
  readonly code: 'template-syntax' | 'template-unknown-variable';
  readonly offset: number;
  readonly message: string;
  readonly hint?: string;
}

const OPEN = '{{';
const CLOSE = '}}';
const NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*$/;

/** Every placeholder in `text`, or the first syntax problem. */
export function scanTemplate(text: string): { placeholders: Placeholder[]; problem?: TemplateProblem } {
  const placeholders: Placeholder[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf(OPEN, from);
    if (start < 0) break;
    const close = text.indexOf(CLOSE, start + 2);
    if (close < 0) {
      return {
        placeholders,
        problem: {
          code: 'template-syntax',
          offset: start,
          message: 'unclosed placeholder: `{{` without a matching `}}`',
          hint: 'write a placeholder as {{ model.name }}',
        },
      };
    }
    const name = text.slice(start + 2, close).trim();
    if (!NAME.test(name)) {
      return {
        placeholders,
        problem: {
          code: 'template-syntax',
          offset: start,
          message: `\`${text.slice(start, close + 2)}\` is not a placeholder: only a variable name may stand between {{ and }}`,
          hint: 'placeholders hold one dotted name, e.g. {{ model.name }} or {{ labels.team }}; no filters or expressions',
        },
      };
    }
    placeholders.push({ name, start, end: close + 2 });
    from = close + 2;
  }
  return { placeholders };
}

/** What a policy knows about itself when its templates are checked. */
export interface TemplateScope {
  /** Keys of `metadata.labels`. */
  readonly labels: readonly string[];
  /** A fleet template: `model.tags.*` come from each selected model. */
  readonly fleet: boolean;
}

const BASE_VARIABLES = [
  'policy.name',
  'model.name',
  'model.alias.champion',
  'model.alias.challenger',
  'version',
];
const CONTEXT_VARIABLES: Record<TemplateContext, readonly string[]> = {
  query: BASE_VARIABLES,
  window: [...BASE_VARIABLES, 'window.from', 'window.to'],
  training: [...BASE_VARIABLES, 'trigger', 'attempt', 'run.id'],
};

/** The variables a placeholder may name in a context (for hints and docs). */
export function templateVariables(context: TemplateContext, scope: TemplateScope): string[] {
  return [
    ...CONTEXT_VARIABLES[context],
    ...scope.labels.map((l) => `labels.${l}`),
    ...(scope.fleet ? ['model.tags.<tag>'] : []),
  ];
}

/** Problems with the placeholders of `text` in a context: syntax, unknown variables. */
export function checkTemplate(
  text: string,
  context: TemplateContext,
  scope: TemplateScope,
): TemplateProblem[] {
  const { placeholders, problem } = scanTemplate(text);
  const problems: TemplateProblem[] = problem ? [problem] : [];
  const known = templateVariables(context, scope);
  for (const p of placeholders) {
    if (CONTEXT_VARIABLES[context].includes(p.name)) continue;
    if (p.name.startsWith('labels.') && scope.labels.includes(p.name.slice('labels.'.length))) continue;
    if (p.name.startsWith('model.tags.') && scope.fleet) continue;
    let hint = `variables here: ${known.join(', ')}`;
    if (p.name.startsWith('model.tags.') && !scope.fleet) {
      hint =
        'model.tags.* exist only in fleet templates (model.selector); name the label in metadata.labels and use {{ labels.<key> }}';
    } else if (p.name.startsWith('labels.')) {
      hint = `add \`${p.name.slice(7)}\` to metadata.labels, or use one of: ${known.join(', ')}`;
    } else {
      const near = nearest(p.name, known);
      if (near) hint = `did you mean {{ ${near} }}? ${hint}`;
    }
    problems.push({
      code: 'template-unknown-variable',
      offset: p.start,
      message: `unknown template variable \`${p.name}\``,
      hint,
    });
  }
  return problems;
}

/** Values for the placeholders, flat: `{ 'model.name': 'fraud', 'labels.team': 'risk' }`. */
export type TemplateValues = Readonly<Record<string, string>>;

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** Plain substitution for non-query strings (URIs, argv, parameters). Throws TemplateError on a missing value. */
export function renderText(text: string, values: TemplateValues): string {
  const { placeholders, problem } = scanTemplate(text);
  if (problem) throw new TemplateError(problem.message);
  if (placeholders.length === 0) return text;
  let out = '';
  let at = 0;
  for (const p of placeholders) {
    const v = values[p.name];
    if (v === undefined) throw new TemplateError(`no value for template variable \`${p.name}\``);
    out += text.slice(at, p.start) + v;
    at = p.end;
  }
  return out + text.slice(at);
}
