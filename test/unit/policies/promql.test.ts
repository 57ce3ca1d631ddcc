import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parser } from '@prometheus-io/lezer-promql';
import fc from 'fast-check';
import { checkQuery, quoteRegex, renderQuery } from '../../../policies/promql.ts';
import { TemplateError } from '../../../policies/template.ts';

/** Decode a PromQL (Go-style) string literal, for checking what a rendered label value means to Prometheus. */
function decodeLiteral(lit: string): string {
  const quote = lit[0];
  const body = lit.slice(1, -1);
  if (quote === '`') return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[++i];
    if (n === 'n') out += '\n';
    else if (n === 'r') out += '\r';
    else if (n === 't') out += '\t';
    else if (n === 'x') {
      out += String.fromCharCode(Number.parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else out += n;
  }
  return out;
}

/** The string literals of a parsed query, in order; fails on syntax errors. */
function literals(query: string): string[] {
  const found: string[] = [];
  let error = false;
  parser.parse(query).iterate({
    enter(n) {
      if (n.type.isError) error = true;
      if (n.name === 'StringLiteral') found.push(query.slice(n.from, n.to));
    },
  });
  assert.equal(error, false, `does not parse: ${query}`);
  return found;
}

describe('PromQL checks', () => {
  it('accepts real queries', () => {
    for (const q of [
      'sum(rate(fraud_tp_total[1h])) / sum(rate(fraud_flagged_total[1h]))',
      'histogram_quantile(0.99, sum by (le) (rate(x_bucket{model="m"}[5m])))',
      'avg_over_time(x{a=~"b.*"}[1h] offset 1d)',
      'scalar(sum(up))',
    ]) {
      assert.deepEqual(checkQuery(q), [], q);
    }
  });

  it('locates syntax errors by offset', () => {
    assert.deepEqual(
      checkQuery('sum(rate(x[5m])) by').map((p) => [p.code, p.offset]),
      [['promql-syntax', 19]],
    );
    assert.equal(
      checkQuery('rate(x[5m]) + ')[0]?.message,
      'PromQL syntax: the query ends too early (unclosed bracket or missing operand?)',
    );
  });

  it('refuses queries that do not give one number per evaluation', () => {
    assert.equal(checkQuery('x[5m]')[0]?.code, 'promql-result');
    assert.equal(checkQuery('rate(x[5m])[1h:5m]')[0]?.code, 'promql-result');
    assert.equal(checkQuery('"text"')[0]?.code, 'promql-result');
  });

  it('allows placeholders in label values and names, nowhere else', () => {
    assert.deepEqual(checkQuery('x{model="{{ model.name }}", v=~"{{ version }}"}'), []);
    assert.deepEqual(checkQuery('fraud_{{ labels.team }}_total'), []);
    assert.deepEqual(checkQuery('sum by ({{ labels.key }}) (x)'), []);
    const [p] = checkQuery('rate(x[{{ version }}])');
    assert.equal(p?.code, 'template-context');
    assert.equal(p?.offset, 7);
  });
});

describe('PromQL templating escapes values for their position', () => {
  it('a hostile model name stays one label value', () => {
    const q = renderQuery('x{model="{{ model.name }}"}', { 'model.name': 'a"} or vector(1) #\\' });
    assert.equal(q, 'x{model="a\\"} or vector(1) #\\\\"}');
    assert.deepEqual(literals(q).map(decodeLiteral), ['a"} or vector(1) #\\']);
  });

  it('regex matchers quote metacharacters', () => {
    assert.equal(
      renderQuery('x{v=~"{{ version }}"}', { version: '1.2+rc(3)' }),
      'x{v=~"1\\\\.2\\\\+rc\\\\(3\\\\)"}',
    );
  });

  it('names accept only name characters', () => {
    assert.equal(renderQuery('fraud_{{ labels.team }}_total', { 'labels.team': 'risk' }), 'fraud_risk_total');
    assert.throws(
      () => renderQuery('fraud_{{ labels.team }}_total', { 'labels.team': 'risk ml' }),
      TemplateError,
    );
  });

  it('raw strings refuse backticks instead of breaking out', () => {
    assert.equal(renderQuery('x{a=`{{ model.name }}`}', { 'model.name': 'a"b' }), 'x{a=`a"b`}');
    assert.throws(() => renderQuery('x{a=`{{ model.name }}`}', { 'model.name': 'a`b' }), /backtick/);
  });

  it('a missing value is an error, not an empty string', () => {
    assert.throws(() => renderQuery('x{a="{{ version }}"}', {}), /no value for template variable `version`/);
  });

  it('property: any value in "…" or \'…\' decodes to itself and never adds a matcher', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.constantFrom('"', "'"), (value, quote) => {
        const q = renderQuery(`x{model=${quote}{{ model.name }}${quote}, job="j"}`, { 'model.name': value });
        assert.deepEqual(literals(q).map(decodeLiteral), [value, 'j']);
      }),
      { numRuns: 1000 },
    );
  });

  it('property: in a regex matcher any value matches exactly itself', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1 }), (value) => {
        const q = renderQuery('x{model=~"{{ model.name }}"}', { 'model.name': value });
        const [lit] = literals(q);
        const re = new RegExp(`^(?:${decodeLiteral(lit as string)})$`, 'u');
        assert.ok(re.test(value));
        assert.ok(!re.test(`${value}x`));
        assert.equal(decodeLiteral(lit as string), quoteRegex(value));
      }),
      { numRuns: 500 },
    );
  });
});
