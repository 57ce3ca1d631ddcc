// What happens to a registered challenger (the retraining workflow's second
// half): a shadow comparison on production traffic, an approval (automatic or
// by a person, with a timeout), and the promotion that makes it champion —
// or its rejection, which leaves the champion as it was.
import {
  condition,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { ShadowEvaluation } from '../activities/shadow/evaluate.ts';
import { durationMs } from '../policies/duration.ts';
import type { LoadedPolicy } from '../policies/loader.ts';
import type { ShadowVerdict } from '../policies/shadow-verdict.ts';
import { renderText } from '../policies/template.ts';
import {
  type ApprovalDecision,
  type ApprovalRequest,
  approveUpdate,
  type RetrainPhase,
  type RetrainProgress,
  type RetrainResult,
  rejectUpdate,
} from './messages.ts';
import { NON_RETRYABLE_ERRORS } from './retry.ts';
import { said } from './summary.ts';
import { workflowNowIso, workflowNowMs } from './workflow-time.ts';

const steps = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes: NON_RETRYABLE_ERRORS,
  },
});
// Scoring a batch of logged requests may take a while; it heartbeats per batch
// and keeps what it scored, so a retry continues where it stopped.
const scoring = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes: NON_RETRYABLE_ERRORS,
  },
});

/** What the retraining workflow lends this part: its audit, phase and progress. */
export interface CandidateContext {
  readonly policy: LoadedPolicy;
  readonly model: string;
  readonly version: string;
  readonly runId: string;
  readonly championVersion: string | null;
  /** Template values for endpoints and queries (`{{ model.name }}`, …). */
  readonly values: Readonly<Record<string, string>>;
  readonly progress: { shadow?: RetrainProgress['shadow']; approval?: RetrainProgress['approval'] };
  phase(next: RetrainPhase): void;
  record(
    step: string,
    kind: string,
    outcome: string,
    detail: string,
    extra?: Record<string, unknown>,
  ): Promise<void>;
  notify(event: 'approval' | 'promotion' | 'failure', summary: string, description: string): Promise<void>;
}

export interface CandidateOutcome {
  readonly outcome: RetrainResult['outcome'];
  readonly summary: string;
  readonly previousVersion?: string | null;
  readonly reportUri?: string;
}

/** Collects shadow evidence until the verdict is decided and the minimum duration has passed, or the maximum is reached. */
async function shadowVerdict(ctx: CandidateContext): Promise<ShadowEvaluation> {
  const shadow = ctx.policy.spec.shadow!;
  const info = workflowInfo();
  const startedAt = workflowNowIso();
  const minimum = durationMs(shadow.duration);
  const maximum = Math.max(minimum, shadow.maxDuration ? durationMs(shadow.maxDuration) : minimum);
  // A few looks at the evidence per shadow period: progress is visible, and an
  // early decision does not wait for the next look long.
  const tick = Math.min(5 * 60_000, Math.max(2_000, Math.floor(minimum / 10)));
  const comparisons = shadow.compare;
  const fields = shadow.fields;
  const report = {
    policy: ctx.policy.spec.metadata.name,
    model: ctx.model,
    championVersion: ctx.championVersion ?? '(none)',
    challengerVersion: ctx.version,
    from: startedAt,
    workflowId: info.workflowId,
    challengerRunId: ctx.runId,
  };
  const look = async (final: boolean): Promise<ShadowEvaluation> => {
    const to = workflowNowIso();
    if (shadow.mode === 'mirror') {
      return steps.evaluateMirror.executeWithOptions(
        said(`shadow: compare the mirrored metrics of version ${ctx.version}`),
        [
          {
            comparisons,
            values: ctx.values,
            championVersion: ctx.championVersion ?? '',
            challengerVersion: ctx.version,
            from: startedAt,
            to,
          },
        ],
      );
    }
    if (!shadow.endpoint)
      throw new Error('replay mode needs shadow.endpoint, the challenger’s scoring endpoint');
    await scoring.replayShadowRequests.executeWithOptions(
      said(`shadow: replay the logged requests to version ${ctx.version}`),
      [
        {
          workflowId: info.workflowId,
          requestsUri: renderText(shadow.requests?.uri ?? '', ctx.values),
          endpoint: renderText(shadow.endpoint, { ...ctx.values, version: ctx.version }),
          fields,
          batchSize: shadow.batchSize,
          concurrency: shadow.concurrency,
          from: startedAt,
          ...(ctx.championVersion ? { championVersion: ctx.championVersion } : {}),
        },
      ],
    );
    const evaluation = await steps.evaluateShadow.executeWithOptions(
      said(
        `shadow: ${final ? 'final verdict and report' : 'interim verdict'} of version ${ctx.version} against ${ctx.championVersion ? `version ${ctx.championVersion}` : 'no champion'}`,
      ),
      [
        {
          workflowId: info.workflowId,
          ...(shadow.labels?.uri ? { labelsUri: renderText(shadow.labels.uri, ctx.values) } : {}),
          fields,
          comparisons,
          minSamples: shadow.minSamples,
          ...(final ? { report: { ...report, to } } : {}),
        },
      ],
    );
    ctx.progress.shadow = {
      startedAt,
      scored: evaluation.verdict.samples.scored,
      failed: evaluation.verdict.samples.failed,
      labelled: evaluation.verdict.samples.labelled,
      interim: evaluation.verdict.summary,
      ...(evaluation.reportUri ? { reportUri: evaluation.reportUri } : {}),
    };
    return evaluation;
  };

  const started = workflowNowMs();
  for (;;) {
    const interim = await look(false);
    const elapsed = workflowNowMs() - started;
    if (elapsed >= maximum || (elapsed >= minimum && interim.verdict.verdict !== 'inconclusive')) break;
    await sleep(tick);
  }
  return look(true);
}

function describe(verdict: ShadowVerdict): Record<string, unknown> {
  return { verdict: verdict.verdict, comparisons: verdict.comparisons, samples: verdict.samples };
}

/** Waits for `ctpilot approve|reject` (updates with validators), or the timeout. */
async function approval(ctx: CandidateContext): Promise<ApprovalDecision | 'timeout'> {
  const promotion = ctx.policy.spec.promotion!;
  let decision: ApprovalDecision | undefined;
  const requestedAtMs = workflowNowMs();
  const timeoutMs = durationMs(promotion.approvalTimeout);
  ctx.progress.approval = {
    requestedAt: new Date(requestedAtMs).toISOString(),
    timeoutAt: new Date(requestedAtMs + timeoutMs).toISOString(),
    onTimeout: promotion.onTimeout,
  };
  // In the memo too, so the stuck-approval alert and `ctpilot list` see when
  // the wait began without a query (older executions replay without it).
  if (patched('approval-memo')) {
    upsertMemo({
      approvalRequestedAt: ctx.progress.approval.requestedAt,
      approvalTimeoutAt: ctx.progress.approval.timeoutAt,
    });
  }
  const validate = (request: ApprovalRequest) => {
    if (!request?.by) throw new Error('say who decides (by)');
    if (decision) throw new Error(`already ${decision.decision} by ${decision.by} at ${decision.at}`);
    if (request.version !== undefined && request.version !== ctx.version) {
      throw new Error(`version ${request.version} is not the one awaiting approval (version ${ctx.version})`);
    }
  };
  const decide =
    (kind: 'approved' | 'rejected') =>
    (request: ApprovalRequest): ApprovalDecision => {
      decision = {
        decision: kind,
        by: request.by,
        reason: request.reason ?? '',
        version: ctx.version,
        at: workflowNowIso(),
      };
      ctx.progress.approval = { ...ctx.progress.approval!, decision };
      return decision;
    };
  setHandler(approveUpdate, decide('approved'), { validator: validate });
  setHandler(rejectUpdate, decide('rejected'), {
    validator: (request: ApprovalRequest) => {
      validate(request);
      if (!request.reason) throw new Error('give the reason for rejecting (reason)');
    },
  });
  await ctx.notify(
    'approval',
    `version ${ctx.version} of ${ctx.model} awaits approval`,
    `Approve with \`ctpilot approve ${ctx.policy.spec.metadata.name}\` or reject with \`ctpilot reject ${ctx.policy.spec.metadata.name} --reason …\` before ${ctx.progress.approval.timeoutAt}; then: ${promotion.onTimeout}.`,
  );
  const decided = await condition(() => decision !== undefined, timeoutMs);
  return decided ? decision! : 'timeout';
}

export async function judgeAndPromote(ctx: CandidateContext): Promise<CandidateOutcome> {
  const { policy } = ctx;
  const aliases = policy.spec.model.aliases;
  let reportUri: string | undefined;

  const reject = async (summary: string, extra: Record<string, unknown>): Promise<CandidateOutcome> => {
    ctx.phase('rejected');
    await steps.rejectChallenger.executeWithOptions(said(`reject version ${ctx.version}: ${summary}`), [
      {
        model: ctx.model,
        version: ctx.version,
        challengerAlias: aliases.challenger,
        reason: summary,
      },
    ]);
    await ctx.record('challenger-rejected', 'challenger.rejected', 'rejected', summary, extra);
    return { outcome: 'rejected', summary, ...(reportUri ? { reportUri } : {}) };
  };

  if (policy.spec.shadow) {
    ctx.phase('shadow');
    const evaluation = await shadowVerdict(ctx);
    reportUri = evaluation.reportUri;
    await ctx.record(
      'shadow-verdict',
      'shadow.verdict',
      evaluation.verdict.verdict,
      evaluation.verdict.summary,
      {
        ...describe(evaluation.verdict),
        reportUri: evaluation.reportUri,
        reportArtifact: evaluation.reportArtifact,
      },
    );
    if (evaluation.verdict.verdict !== 'pass') {
      // An inconclusive shadow is never a pass: not enough evidence is a rejection.
      return reject(`shadow ${evaluation.verdict.verdict}: ${evaluation.verdict.summary}`, { reportUri });
    }
  }

  const promotion = policy.spec.promotion;
  if (!promotion)
    return {
      outcome: 'registered',
      summary: `version ${ctx.version} is the ${aliases.challenger}; the policy has no promotion step`,
      ...(reportUri ? { reportUri } : {}),
    };

  if (promotion.approval === 'manual') {
    ctx.phase('awaiting-approval');
    const decision = await approval(ctx);
    if (decision === 'timeout') {
      await ctx.record(
        'approval',
        'approval',
        'timeout',
        `no decision within ${promotion.approvalTimeout}: ${promotion.onTimeout}`,
      );
      if (promotion.onTimeout === 'reject')
        return reject(`no approval within ${promotion.approvalTimeout}`, {});
    } else {
      await ctx.record(
        'approval',
        'approval',
        decision.decision,
        `${decision.decision} by ${decision.by}${decision.reason ? `: ${decision.reason}` : ''}`,
        { ...decision },
      );
      if (decision.decision === 'rejected')
        return reject(`rejected by ${decision.by}: ${decision.reason}`, { decision });
    }
  }

  ctx.phase('promoting');
  const move = await steps.promoteChallenger.executeWithOptions(
    said(
      `promote version ${ctx.version} of ${ctx.model} to ${aliases.champion}${promotion.deployHook ? ' and call the deploy hook' : ''}`,
    ),
    [
      {
        model: ctx.model,
        version: ctx.version,
        aliases,
        ...(promotion.deployHook ? { deployHook: promotion.deployHook } : {}),
        reason: `retrain ${workflowInfo().workflowId}`,
      },
    ],
  );
  const summary = `version ${ctx.version} is the ${aliases.champion} (was ${move.fromVersion ?? 'none'})`;
  await ctx.record('promoted', 'promotion', 'promoted', summary, { ...move });
  if (!move.deploy.ok) {
    await ctx.record(
      'deploy-hook',
      'deploy.failed',
      'failed',
      `the deploy hook failed: ${move.deploy.error}`,
      { deploy: move.deploy },
    );
    await ctx.notify(
      'failure',
      `deploy hook failed after promoting version ${ctx.version}`,
      move.deploy.error ?? 'unknown error',
    );
  }
  await ctx.notify('promotion', summary, `${summary}. Bake period ${promotion.bake}.`);
  ctx.phase('promoted');
  return {
    outcome: 'promoted',
    summary,
    previousVersion: move.fromVersion,
    ...(reportUri ? { reportUri } : {}),
  };
}
