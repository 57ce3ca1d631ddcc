import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeQueryResponse, parseSampleValue, singleValue } from '../../../activities/prometheus/client.ts';

const ok = (data: unknown, warnings?: string[]) => ({
  status: 'success',
  data,
  ...(warnings ? { warnings } : {}),
});

describe('decoding Prometheus answers', () => {
  it('parses sample values including NaN and infinities', () => {
    assert.ok(Number.isNaN(parseSampleValue('NaN')));
    assert.equal(parseSampleValue('+Inf'), Number.POSITIVE_INFINITY);
    assert.equal(parseSampleValue('-Inf'), Number.NEGATIVE_INFINITY);
    assert.equal(parseSampleValue('1e-300'), 1e-300);
    assert.throws(() => parseSampleValue(''), /not a sample value/);
    assert.throws(() => parseSampleValue('abc'), /not a sample value/);
  });

  it('round-trips every finite double as Prometheus formats it', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        assert.ok(parseSampleValue(String(x)) === x, String(x)); // === so that -0 and 0 agree
      }),
    );
  });

  it('keeps vector, scalar, matrix and string apart', () => {
    const vector = decodeQueryResponse(
      200,
      ok({ resultType: 'vector', result: [{ metric: { a: 'b' }, value: [10, '0.5'] }] }),
    );
    assert.deepEqual(vector, {
      kind: 'vector',
      samples: [{ labels: { a: 'b' }, timestamp: 10, value: 0.5 }],
      warnings: [],
    });
    const scalar = decodeQueryResponse(200, ok({ resultType: 'scalar', result: [10, '2'] }));
    assert.equal(scalar.kind, 'scalar');
    const matrix = decodeQueryResponse(
      200,
      ok({
        resultType: 'matrix',
        result: [
          {
            metric: {},
            values: [
              [1, '1'],
              [2, 'NaN'],
            ],
          },
        ],
      }),
    );
    assert.equal(matrix.kind, 'matrix');
    assert.ok(matrix.kind === 'matrix' && Number.isNaN(matrix.series[0]!.points[1]!.value));
    const text = decodeQueryResponse(200, ok({ resultType: 'string', result: [1, 'hello'] }));
    assert.deepEqual(text, { kind: 'string', value: 'hello', warnings: [] });
  });

  it('keeps warnings (partial answers) with the result', () => {
    const result = decodeQueryResponse(200, ok({ resultType: 'vector', result: [] }, ['partial response']));
    assert.deepEqual(result, { kind: 'vector', samples: [], warnings: ['partial response'] });
  });

  it('maps API and HTTP errors to kinds', () => {
    const cases: Array<[number, unknown, string]> = [
      [400, { status: 'error', errorType: 'bad_data', error: 'parse error' }, 'bad_data'],
      [422, { status: 'error', errorType: 'execution', error: 'too many samples' }, 'execution'],
      [503, { status: 'error', errorType: 'timeout', error: 'query timed out' }, 'timeout'],
      [503, '<html>down for maintenance</html>', 'unavailable'],
      [401, 'Unauthorized', 'auth'],
      [403, '', 'auth'],
      [502, 'bad gateway', 'http'],
      [200, 'not json at all', 'bad_response'],
      [
        200,
        '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"x"]}]}}',
        'bad_response',
      ],
      [200, { status: 'success', data: { resultType: 'matrix', result: 'nope' } }, 'bad_response'],
      [200, { status: 'success', data: { resultType: 'histogram', result: [] } }, 'bad_response'],
    ];
    for (const [status, body, kind] of cases) {
      const result = decodeQueryResponse(status, body);
      assert.equal(result.kind, 'error', `${status} ${JSON.stringify(body)}`);
      assert.equal(result.kind === 'error' && result.error, kind, `${status} ${JSON.stringify(body)}`);
    }
  });

  it('never turns a non-value into a number (property)', () => {
    const bodies = fc.oneof(
      fc.json().map((text) => JSON.parse(text) as unknown),
      fc.string(),
      fc.record({
        status: fc.constantFrom('success', 'error'),
        data: fc.record({
          resultType: fc.constantFrom('vector', 'scalar', 'matrix', 'string', 'other'),
          result: fc.anything(),
        }),
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), bodies, (status, body) => {
        const single = singleValue(decodeQueryResponse(status, body));
        if (single.outcome === 'value') {
          assert.ok(Number.isFinite(single.value));
          assert.ok(status >= 200 && status < 300);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
