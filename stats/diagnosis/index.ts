// The diagnosis: the staged triage before a retrain. diagnose() runs the
// stages and names the cause; each stage is also callable alone.

export { type BusinessEvidence, businessStage } from './business.ts';
export { type CauseChoice, type CauseInput, chooseCause, labelShiftExplains } from './cause.ts';
export { type ConceptEvidence, type ConceptOptions, conceptStage, MIN_SEGMENT_ROWS } from './concept.ts';
export {
  type CovariateEvidence,
  type CovariateOptions,
  covariateStage,
  MULTIVARIATE_ALPHA,
  type MultivariateEvidence,
} from './covariate.ts';
export { DEFAULT_THRESHOLDS, resolveThresholds } from './defaults.ts';
export { diagnose } from './diagnose.ts';
export {
  driftEffect,
  driftWords,
  type FeatureDriftList,
  featureDrift,
  featureDrifts,
  type UnjudgedFeature,
} from './feature-drift.ts';
export { type HardCase, type HardCaseKind, hardCases } from './hard-cases.ts';
export {
  classWeights,
  type ExplainOptions,
  explainByLabelShift,
  type LabelShiftEvidence,
  type LabelShiftExplanation,
  labelShiftStage,
  MIN_LABELS_FOR_SHIFT,
  type RetestedFeature,
} from './label-shift.ts';
export {
  type MultivariateMmdOptions,
  type MultivariateMmdResult,
  multivariateMmd,
} from './mmd-multivariate.ts';
export { type QualityAlert, type QualityEvidence, qualityStage } from './quality-stage.ts';
export {
  CAUSES,
  type Cause,
  type ConceptThresholds,
  type CovariateThresholds,
  type Diagnosis,
  type DiagnosisInput,
  type DiagnosisOverrides,
  type DiagnosisRoles,
  type DiagnosisThresholds,
  type ExternalEvent,
  type FeatureDrift,
  type KpiReading,
  type LabelShiftThresholds,
  type PerformanceComparison,
  type SegmentGap,
  STAGES,
  type StageName,
  type StageResult,
  type StageVerdict,
  type ValidityThresholds,
} from './types.ts';
export {
  type ValidityCheck,
  type ValidityCheckName,
  type ValidityEvidence,
  validityStage,
} from './validity.ts';
