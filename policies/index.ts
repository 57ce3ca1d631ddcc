// The policy language: public entry points, re-exported by name.
//
// Loading:     loadPolicy (text/bytes → LoadResult), loadPolicyData, readPolicyFile/readPolicyDir (files.ts)
// Evaluating:  planMeasurements → (providers) → evaluate → { decision, nextState }
// Lifecycle:   retrainFinished, promoted, rolledBack, championObserved, nextEvaluationAt
// Tooling:     explainPolicy, policyJsonSchema, instantiate (fleets), createSecretResolver

export { duplicateNames, matchesLabels } from './catalog.ts';
export type { MetricVerdict, Phase } from './classify.ts';
export type {
  Action,
  ActionKind,
  ActionStatus,
  Decision,
  GuardName,
  Hold,
  Outcome,
  TriggerVerdict,
} from './decision.ts';
export { DRIFT_TESTS, type DriftTestInfo } from './drift-tests.ts';
export { DURATION_FORMS, durationMs, formatDuration, parseDuration } from './duration.ts';
export { type Evaluation, evaluate, ROLLBACK_ORIGIN, reconcileState } from './evaluate.ts';
export { type ExplainSection, explainPolicy, explanationText, type PolicyExplanation } from './explain.ts';
export {
  expandPolicyPaths,
  findPolicyFiles,
  nodeSecretSources,
  readPolicyDir,
  readPolicyFile,
} from './files.ts';
export { instanceName, instantiate, isFleetTemplate, type RegisteredModel, selectModels } from './fleet.ts';
export { canonicalJson, policyHash } from './hash.ts';
export { type IssueCode, issueLine, type PolicyIssue, PolicyLoadError } from './issues.ts';
export { type JsonSchemaDraft, policyJsonSchema, SCHEMA_ID } from './json-schema.ts';
export {
  championObserved,
  nextEvaluationAt,
  promoted,
  type RetrainOutcome,
  retrainFinished,
  rolledBack,
} from './lifecycle.ts';
export {
  type FleetInstance,
  type LoadedPolicy,
  type LoadOptions,
  type LoadResult,
  loadPolicy,
  loadPolicyData,
  loadPolicyOrThrow,
} from './loader.ts';
export {
  type ErrorOutcome,
  failed,
  type Measurement,
  type MeasurementSource,
  measurement,
  type NoDataOutcome,
  type NonFiniteOutcome,
  noData,
  type Outcome as MeasurementOutcome,
  outcomeOf,
  outcomeOfText,
  type ValueOutcome,
} from './measurement.ts';
export { checkQuery, quoteRegex, renderQuery } from './promql.ts';
export { type MeasurementRequest, planMeasurements, templateValues, type WindowRequest } from './requests.ts';
export type { Metric, ProviderKind } from './schema/metrics.ts';
export { API_VERSION, KIND, type Policy, type PolicyInput, policySchema } from './schema/policy.ts';
export type { Trigger } from './schema/triggers.ts';
export {
  createSecretResolver,
  Secret,
  SecretResolutionError,
  type SecretResolver,
  type SecretSources,
} from './secrets.ts';
export {
  initialState,
  type MetricState,
  type PolicyState,
  parseState,
  STATE_VERSION,
  StateError,
  type TriggerState,
} from './state.ts';
export { renderText, TemplateError, type TemplateValues } from './template.ts';
