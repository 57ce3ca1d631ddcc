// Problems found while reading a window: counted per (code, column), with the
// first few examples kept, so a window with a million bad rows reports one
// line and a handful of locations rather than a million messages.

import type { ProblemCode, WindowProblem } from './types.ts';

/** A failure that ends the read; its message is the `error` outcome's message as is. */
export class WindowReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WindowReadError';
  }
}

interface Entry {
  code: ProblemCode;
  column?: string;
  /** Extra words for the message (the expected kind). */
  expected?: string;
  count: number;
  examples: { at: string; detail: string }[];
}

export class Problems {
  private readonly entries = new Map<string, Entry>();
  constructor(private readonly maxExamples: number) {}

  add(code: ProblemCode, at: string, detail: string, column?: string, expected?: string): void {
    const key = `${code}\u0000${column ?? ''}`;
    let e = this.entries.get(key);
    if (!e) {
      e = {
        code,
        count: 0,
        examples: [],
        ...(column !== undefined ? { column } : {}),
        ...(expected ? { expected } : {}),
      };
      this.entries.set(key, e);
    }
    e.count++;
    if (e.examples.length < this.maxExamples) e.examples.push({ at, detail });
  }

  /** Whether an example would still be kept: lets hot loops skip building location strings. */
  wantsExample(code: ProblemCode, column?: string): boolean {
    const e = this.entries.get(`${code}\u0000${column ?? ''}`);
    return !e || e.examples.length < this.maxExamples;
  }

  count(code: ProblemCode): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.code === code) n += e.count;
    return n;
  }

  list(): WindowProblem[] {
    return [...this.entries.values()].map((e) => ({
      code: e.code,
      message: message(e),
      ...(e.column !== undefined ? { column: e.column } : {}),
      count: e.count,
      examples: e.examples,
    }));
  }
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function firstExample(e: Entry): string {
  const x = e.examples[0];
  return x ? ` (first: ${x.at}: ${x.detail})` : '';
}

function message(e: Entry): string {
  switch (e.code) {
    case 'type-mismatch':
      return `${plural(e.count, 'value', 'values')} of \`${e.column}\` ${e.count === 1 ? 'is' : 'are'} not ${e.expected}: counted as invalid (stored as missing), not coerced${firstExample(e)}`;
    case 'unparseable-row':
      return `${plural(e.count, 'row', 'rows')} could not be parsed and ${e.count === 1 ? 'was' : 'were'} left out${firstExample(e)}`;
    case 'bad-timestamp':
      return `${plural(e.count, 'row has', 'rows have')} no readable timestamp in \`${e.column}\` and ${e.count === 1 ? 'was' : 'were'} ${e.expected}${firstExample(e)}`;
    case 'column-absent':
      return `\`${e.column}\` is absent from ${plural(e.count, 'object', 'objects')} of the window; their rows count as missing${firstExample(e)}`;
    case 'skipped-object':
      return `${plural(e.count, 'object was', 'objects were')} skipped as not data${firstExample(e)}`;
  }
}
