// The worker's structured logs: JSON lines that name the workflow, run and
// policy, with secrets redacted by field name and scrubbed from strings.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createLogger, policyOfWorkflowId, scrub, temporalLogger } from '../../workers/logger.ts';

describe('worker logs', () => {
  it('are JSON lines with workflow, run and policy ids, and no secrets', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ctpilot-logs-'));
    try {
      const env = {
        TEMPORAL_API_KEY: 'tcld-key-0123456789',
        DATABASE_URL: 'postgresql://ctpilot:s3cr3t-pw@db.internal:5432/ctpilot',
        CTPILOT_LOG_LEVEL: 'silent',
      };
      const logger = createLogger(home, 'worker', env);
      const temporal = temporalLogger(logger);
      temporal.info('evaluation done', {
        workflowId: 'policy:fraud-detector',
        runId: '01a2-run',
        workflowType: 'policyControllerWorkflow',
      });
      temporal.warn('retrain step failed', { workflowId: 'retrain:fraud-detector:3', runId: 'r2' });
      logger.info(
        {
          headers: { authorization: 'Bearer abc' },
          webhook: { secret: 'hmac-secret', url: 'https://user:pw123@hooks.internal/x' },
          connection: { password: 'pw' },
          apiKey: 'k',
        },
        'calling %s with key tcld-key-0123456789 and db postgresql://ctpilot:s3cr3t-pw@db.internal:5432/ctpilot',
        'MLflow',
      );
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      await new Promise((r) => setTimeout(r, 200));
      const text = readFileSync(join(home, 'logs', 'worker.log'), 'utf8');
      const lines = text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(lines.length, 3);
      assert.deepEqual(
        [lines[0]?.workflowId, lines[0]?.runId, lines[0]?.policy, lines[0]?.msg],
        ['policy:fraud-detector', '01a2-run', 'fraud-detector', 'evaluation done'],
      );
      assert.equal(lines[1]?.policy, 'fraud-detector');
      for (const secret of ['abc', 'hmac-secret', 'pw123', 'tcld-key-0123456789', 's3cr3t-pw', '"pw"', '"k"'])
        assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
      assert.match(text, /https:\/\/user:\[redacted\]@hooks\.internal/);
      assert.match(
        String(lines[2]?.msg),
        /calling MLflow with key \[redacted\] and db postgresql:\/\/ctpilot:\[redacted\]@db/,
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('find the policy of controller and retrain workflows only', () => {
    assert.equal(policyOfWorkflowId('policy:a-b'), 'a-b');
    assert.equal(policyOfWorkflowId('retrain:a-b:12'), 'a-b');
    assert.equal(policyOfWorkflowId('stack-check:2026'), undefined);
    assert.equal(scrub('redis://:p@h', []), 'redis://:p@h');
  });
});
