import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filterLiteral, tagFilter } from '../../../activities/mlflow/client.ts';
import {
  errorFromResponse,
  MlflowAlreadyExistsError,
  type MlflowError,
  MlflowInvalidRequestError,
  MlflowNotFoundError,
  MlflowPermissionError,
  MlflowUnavailableError,
} from '../../../activities/mlflow/errors.ts';
import { responses } from '../../../activities/mlflow/schemas.ts';

describe('MLflow error mapping', () => {
  it('maps MLflow answers, quirks included, to one class each', () => {
    const cases: Array<[number, unknown, new (...args: never[]) => MlflowError]> = [
      [
        400,
        { error_code: 'RESOURCE_ALREADY_EXISTS', message: 'Experiment(name=x) already exists.' },
        MlflowAlreadyExistsError,
      ],
      [
        404,
        { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Run with id=x not found' },
        MlflowNotFoundError,
      ],
      [
        400,
        { error_code: 'INVALID_PARAMETER_VALUE', message: 'Registered model alias champion not found.' },
        MlflowNotFoundError,
      ],
      [
        400,
        { error_code: 'INVALID_PARAMETER_VALUE', message: 'Missing value for required parameter name' },
        MlflowInvalidRequestError,
      ],
      [401, 'Unauthorized', MlflowPermissionError],
      [403, { error_code: 'PERMISSION_DENIED', message: 'no' }, MlflowPermissionError],
      [500, { error_code: 'INTERNAL_ERROR', message: 'boom' }, MlflowUnavailableError],
      [503, '<html>', MlflowUnavailableError],
      [429, { error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'slow down' }, MlflowUnavailableError],
    ];
    for (const [status, body, expected] of cases) {
      const error = errorFromResponse('runs/get', status, body);
      assert.ok(error instanceof expected, `${status} ${JSON.stringify(body)} → ${error.constructor.name}`);
      assert.equal(error.status, status);
      assert.equal(error.retryable, expected === MlflowUnavailableError);
    }
  });

  it('keeps only the first line of messages that echo SQL', () => {
    const error = errorFromResponse('experiments/create', 400, {
      error_code: 'RESOURCE_ALREADY_EXISTS',
      message:
        'Experiment(name=x) already exists. Error: (sqlite3.IntegrityError)\n[SQL: INSERT INTO experiments …]',
    });
    assert.equal(
      error.message,
      'MLflow experiments/create failed (HTTP 400 RESOURCE_ALREADY_EXISTS): Experiment(name=x) already exists. Error: (sqlite3.IntegrityError)',
    );
  });
});

describe('MLflow search filters', () => {
  it('quotes values with the quote they do not contain', () => {
    assert.equal(filterLiteral('fraud'), "'fraud'");
    assert.equal(filterLiteral("o'brien"), `"o'brien"`);
    assert.throws(() => filterLiteral(`both ' and "`), /both ' and "/);
  });

  it('builds tag filters with backticked keys', () => {
    assert.equal(
      tagFilter({ 'ctpilot.policy': 'fraud', 'ctpilot.attempt': '3' }),
      "tags.`ctpilot.policy` = 'fraud' AND tags.`ctpilot.attempt` = '3'",
    );
    assert.throws(() => tagFilter({ 'a`b': 'x' }), /backtick/);
  });
});

describe('MLflow response schemas', () => {
  it('reads non-finite metric values and int64 as strings', () => {
    const parsed = responses.run.parse({
      run: {
        info: {
          run_id: 'r',
          experiment_id: '1',
          status: 'FINISHED',
          lifecycle_stage: 'active',
          start_time: '1700000000000',
        },
        data: {
          metrics: [
            { key: 'a', value: 'NaN', timestamp: 1 },
            { key: 'b', value: '-Infinity', timestamp: 1, step: 2 },
          ],
        },
      },
    });
    assert.equal(parsed.run.info.start_time, 1_700_000_000_000);
    assert.ok(Number.isNaN(parsed.run.data.metrics[0]!.value));
    assert.equal(parsed.run.data.metrics[1]!.value, Number.NEGATIVE_INFINITY);
    assert.equal(parsed.run.data.metrics[0]!.step, 0);
  });

  it('rejects an unknown run status instead of passing it on', () => {
    const result = responses.run.safeParse({
      run: { info: { run_id: 'r', experiment_id: '1', status: 'EXPLODED', lifecycle_stage: 'active' } },
    });
    assert.equal(result.success, false);
  });
});
