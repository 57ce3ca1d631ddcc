import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { MlflowClient } from '../../activities/mlflow/client.ts';
import {
  MlflowAlreadyExistsError,
  MlflowInvalidRequestError,
  MlflowNotFoundError,
  MlflowUnavailableError,
} from '../../activities/mlflow/errors.ts';
import { fromKeyValues } from '../../activities/mlflow/schemas.ts';
import { freePorts } from '../../infra/stack/ports.ts';
import { testConfig, uniqueName } from '../support/env.ts';

describe('MLflow client against the real tracking server', () => {
  const config = testConfig();
  const mlflow = new MlflowClient({ trackingUri: config.mlflow.trackingUri });
  let experimentId: string;

  before(async () => {
    experimentId = await mlflow.ensureExperiment(uniqueName('ctpilot-test'));
  });

  it('answers health', async () => {
    assert.equal(await mlflow.health(), true);
  });

  describe('experiments', () => {
    it('ensureExperiment is idempotent and getExperimentByName finds it', async () => {
      const name = uniqueName('exp');
      const first = await mlflow.ensureExperiment(name, { team: 'risk' });
      const second = await mlflow.ensureExperiment(name);
      assert.equal(first, second);
      const found = await mlflow.getExperimentByName(name);
      assert.equal(found?.experiment_id, first);
      assert.equal(found?.lifecycle_stage, 'active');
    });

    it('a missing experiment is undefined, not an error', async () => {
      assert.equal(await mlflow.getExperimentByName(uniqueName('absent')), undefined);
    });

    it('creating an existing experiment is MlflowAlreadyExistsError with HTTP 400 (not 409)', async () => {
      const name = uniqueName('dup');
      await mlflow.createExperiment(name);
      await assert.rejects(mlflow.createExperiment(name), (error: unknown) => {
        assert.ok(error instanceof MlflowAlreadyExistsError);
        assert.equal(error.status, 400);
        assert.equal(error.errorCode, 'RESOURCE_ALREADY_EXISTS');
        assert.equal(error.retryable, false);
        assert.doesNotMatch(error.message, /SQL/, 'the SQL MLflow echoes is cut from the message');
        return true;
      });
    });

    it('concurrent ensureExperiment calls agree on one experiment', async () => {
      const name = uniqueName('race');
      const ids = await Promise.all(Array.from({ length: 4 }, () => mlflow.ensureExperiment(name)));
      assert.equal(new Set(ids).size, 1);
    });
  });

  describe('runs', () => {
    it('creates, reads, updates and finishes a run', async () => {
      const run = await mlflow.createRun({
        experimentId,
        runName: 'train',
        tags: { 'ctpilot.policy': 'fraud' },
      });
      assert.equal(run.info.status, 'RUNNING');
      assert.equal(run.info.experiment_id, experimentId);
      const scheduled = await mlflow.updateRun(run.info.run_id, { status: 'SCHEDULED' });
      assert.equal(scheduled.status, 'SCHEDULED');
      await mlflow.updateRun(run.info.run_id, { status: 'FINISHED', endTime: Date.now() });
      const read = await mlflow.getRun(run.info.run_id);
      assert.equal(read.info.status, 'FINISHED');
      assert.ok((read.info.end_time ?? 0) > 0);
      assert.equal(fromKeyValues(read.data.tags)['ctpilot.policy'], 'fraud');
    });

    it('logs a batch of metrics (NaN and infinities included), params and tags', async () => {
      const run = await mlflow.createRun({ experimentId });
      await mlflow.logBatch(run.info.run_id, {
        metrics: [
          { key: 'val_precision', value: 0.93, step: 1 },
          { key: 'undefined_ratio', value: Number.NaN },
          { key: 'overflow', value: Number.POSITIVE_INFINITY },
          { key: 'underflow', value: Number.NEGATIVE_INFINITY },
        ],
        params: { window_days: '30' },
        tags: { 'ctpilot.attempt': '1' },
      });
      await mlflow.setRunTag(run.info.run_id, 'ctpilot.trigger', 'slo-breach');
      const read = await mlflow.getRun(run.info.run_id);
      const metrics = Object.fromEntries(read.data.metrics.map((m) => [m.key, m]));
      assert.equal(metrics.val_precision?.value, 0.93);
      assert.equal(metrics.val_precision?.step, 1);
      assert.ok(Number.isNaN(metrics.undefined_ratio?.value));
      // MLflow's SQL store clamps infinities to the largest finite double on
      // write; gates reading metrics back must treat ±MAX_VALUE as infinite.
      assert.equal(metrics.overflow?.value, Number.MAX_VALUE);
      assert.equal(metrics.underflow?.value, -Number.MAX_VALUE);
      assert.equal(fromKeyValues(read.data.params).window_days, '30');
      const tags = fromKeyValues(read.data.tags);
      assert.equal(tags['ctpilot.attempt'], '1');
      assert.equal(tags['ctpilot.trigger'], 'slo-breach');
    });

    it('finds runs by tags, including values with quotes, across pages', async () => {
      const policy = uniqueName("o'brien-policy");
      const created = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        created.push(
          await mlflow.createRun({
            experimentId,
            tags: { 'ctpilot.policy': policy, 'ctpilot.attempt': String(attempt) },
          }),
        );
      }
      await mlflow.createRun({ experimentId, tags: { 'ctpilot.policy': `${policy}-other` } });
      const all = await mlflow.findRunsByTags([experimentId], { 'ctpilot.policy': policy });
      assert.deepEqual(
        all.map((r) => r.info.run_id),
        created.map((r) => r.info.run_id),
      );
      const second = await mlflow.findRunsByTags([experimentId], {
        'ctpilot.policy': policy,
        'ctpilot.attempt': '2',
      });
      assert.deepEqual(
        second.map((r) => r.info.run_id),
        [created[1]!.info.run_id],
      );
      const page = await mlflow.searchRuns({
        experimentIds: [experimentId],
        filter: `tags.\`ctpilot.policy\` = "${policy}"`,
        maxResults: 2,
      });
      assert.equal(page.runs.length, 2);
      assert.ok(page.nextPageToken, 'a second page is announced');
    });

    it('a missing run is MlflowNotFoundError (HTTP 404 RESOURCE_DOES_NOT_EXIST)', async () => {
      await assert.rejects(mlflow.getRun('0123456789abcdef0123456789abcdef'), (error: unknown) => {
        assert.ok(error instanceof MlflowNotFoundError);
        assert.equal(error.status, 404);
        assert.equal(error.errorCode, 'RESOURCE_DOES_NOT_EXIST');
        return true;
      });
    });
  });

  describe('registry: models, versions and aliases', () => {
    const model = uniqueName('fraud-detector');
    const versions: string[] = [];

    before(async () => {
      await mlflow.ensureRegisteredModel(model);
      for (let i = 0; i < 2; i++) {
        const run = await mlflow.createRun({ experimentId });
        const version = await mlflow.createModelVersion({
          name: model,
          source: `${run.info.artifact_uri}/model`,
          runId: run.info.run_id,
          tags: { 'ctpilot.attempt': String(i + 1) },
        });
        const ready = await mlflow.waitForModelVersionReady(model, version.version, { pollMs: 200 });
        assert.equal(ready.status, 'READY');
        versions.push(ready.version);
      }
    });

    it('ensureRegisteredModel is idempotent; a second create is MlflowAlreadyExistsError', async () => {
      const again = await mlflow.ensureRegisteredModel(model);
      assert.equal(again.name, model);
      await assert.rejects(mlflow.createRegisteredModel(model), MlflowAlreadyExistsError);
      assert.equal(await mlflow.getRegisteredModel(uniqueName('absent-model')), undefined);
    });

    it('registers versions in order, searchable and taggable', async () => {
      assert.deepEqual(versions, ['1', '2']);
      await mlflow.setModelVersionTag(model, '2', 'ctpilot.shadow', 'passed');
      const { versions: found } = await mlflow.searchModelVersions({ filter: `name = '${model}'` });
      assert.deepEqual(found.map((v) => v.version).sort(), ['1', '2']);
      const v2 = await mlflow.getModelVersion(model, '2');
      assert.equal(fromKeyValues(v2.tags)['ctpilot.shadow'], 'passed');
      assert.equal(fromKeyValues(v2.tags)['ctpilot.attempt'], '2');
    });

    it('sets, reads, moves and deletes aliases; a missing alias (HTTP 400) reads as undefined', async () => {
      assert.equal(await mlflow.getAlias(model, 'champion'), undefined);
      await mlflow.setAlias(model, 'champion', '1');
      assert.equal((await mlflow.getAlias(model, 'champion'))?.version, '1');
      await mlflow.setAlias(model, 'challenger', '2');
      await mlflow.setAlias(model, 'champion', '2'); // promotion moves the alias
      assert.equal((await mlflow.getAlias(model, 'champion'))?.version, '2');
      const registered = await mlflow.getRegisteredModel(model);
      assert.deepEqual(registered?.aliases.map((a) => `${a.alias}=${a.version}`).sort(), [
        'challenger=2',
        'champion=2',
      ]);
      await mlflow.deleteAlias(model, 'challenger');
      await mlflow.deleteAlias(model, 'challenger'); // deleting twice is fine
      assert.equal(await mlflow.getAlias(model, 'challenger'), undefined);
    });

    it('a version of a missing model is MlflowNotFoundError; an alias to a missing version is rejected', async () => {
      await assert.rejects(mlflow.getModelVersion(uniqueName('absent-model'), '1'), MlflowNotFoundError);
      await assert.rejects(mlflow.setAlias(model, 'champion', '99'), (error: unknown) => {
        assert.ok(error instanceof MlflowNotFoundError || error instanceof MlflowInvalidRequestError);
        assert.equal((error as MlflowNotFoundError).retryable, false);
        return true;
      });
      assert.equal(
        (await mlflow.getAlias(model, 'champion'))?.version,
        '2',
        'the failed move changed nothing',
      );
    });
  });

  describe('failures', () => {
    it('an unreachable server is MlflowUnavailableError (retryable) after bounded attempts', async () => {
      const [port] = await freePorts(1);
      const down = new MlflowClient({
        trackingUri: `http://127.0.0.1:${port}`,
        attempts: 2,
        timeoutMs: 2000,
      });
      assert.equal(await down.health(), false);
      await assert.rejects(down.getRun('x'), (error: unknown) => {
        assert.ok(error instanceof MlflowUnavailableError);
        assert.equal(error.retryable, true);
        assert.match(error.message, /ECONNREFUSED/);
        return true;
      });
    });

    it('a malformed request is MlflowInvalidRequestError, not retried', async () => {
      await assert.rejects(mlflow.createModelVersion({ name: '', source: '' }), (error: unknown) => {
        assert.ok(error instanceof MlflowInvalidRequestError);
        assert.equal(error.status, 400);
        return true;
      });
    });
  });
});
