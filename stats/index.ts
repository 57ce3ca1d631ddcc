// The public surface of stats/: pure numerics, no I/O. Names are re-exported
// explicitly so a reader sees the whole API here.

export { type AndersonResult, andersonKsamp } from './anderson.ts';
export {
  type Binned,
  binCategories,
  binNumericEvidently,
  binQuantiles,
  fillZeroes,
  histogram,
  quantileSorted,
  sturgesEdges,
} from './binning.ts';
export { type BootstrapResult, pairedBootstrap } from './bootstrap.ts';
export {
  type CbpeModel,
  type Estimates,
  estimateBinary,
  estimateCbpe,
  expectedAuc,
  fitCbpe,
} from './cbpe.ts';
export {
  type ChiSquareResult,
  categoryCounts,
  chiSquareCategories,
  chiSquareContingency,
  chiSquareGof,
} from './chisquare.ts';
export {
  type Column,
  type ColumnKind,
  type ColumnsFromRecords,
  columnsFromRecords,
  presentCategories,
  presentNumbers,
  type SchemaViolation,
  type Table,
} from './columns.ts';
export { adjustPValues, CORRECTIONS, type Correction } from './correction.ts';
export { type CvmResult, cramerVonMises2samp } from './cramer-von-mises.ts';
export { Adwin, type AdwinOptions, type AdwinState } from './detectors/adwin.ts';
export { Ddm, type DdmOptions, type DdmState } from './detectors/ddm.ts';
export { Eddm, type EddmOptions, type EddmState } from './detectors/eddm.ts';
export { Kswin, type KswinOptions, type KswinState } from './detectors/kswin.ts';
export { PageHinkley, type PageHinkleyOptions, type PageHinkleyState } from './detectors/page-hinkley.ts';
export {
  type BusinessEvidence,
  businessStage,
  CAUSES,
  type Cause,
  type CauseChoice,
  type CauseInput,
  type ConceptEvidence,
  type ConceptOptions,
  type ConceptThresholds,
  type CovariateEvidence,
  type CovariateOptions,
  type CovariateThresholds,
  chooseCause,
  classWeights,
  conceptStage,
  covariateStage,
  DEFAULT_THRESHOLDS,
  type Diagnosis,
  type DiagnosisInput,
  type DiagnosisOverrides,
  type DiagnosisRoles,
  type DiagnosisThresholds,
  diagnose,
  driftEffect,
  driftWords,
  type ExplainOptions,
  type ExternalEvent,
  explainByLabelShift,
  type FeatureDrift,
  type FeatureDriftList,
  featureDrift,
  featureDrifts,
  type KpiReading,
  type LabelShiftEvidence,
  type LabelShiftExplanation,
  type LabelShiftThresholds,
  labelShiftExplains,
  labelShiftStage,
  MIN_LABELS_FOR_SHIFT,
  MIN_SEGMENT_ROWS,
  MULTIVARIATE_ALPHA,
  type MultivariateEvidence,
  type MultivariateMmdOptions,
  type MultivariateMmdResult,
  multivariateMmd,
  type PerformanceComparison,
  type QualityAlert,
  type QualityEvidence,
  qualityStage,
  type RetestedFeature,
  resolveThresholds,
  type SegmentGap,
  STAGES,
  type StageName,
  type StageResult,
  type StageVerdict,
  type UnjudgedFeature,
  type ValidityCheck,
  type ValidityCheckName,
  type ValidityEvidence,
  type ValidityThresholds,
  validityStage,
} from './diagnosis/index.ts';
export { hellinger, jensenShannon, klDivergence, totalVariation } from './divergence.ts';
export {
  type ColumnDrift,
  type ColumnTestChoice,
  columnDrift,
  type DriftReport,
  type DriftReportOptions,
  defaultTest,
  driftReport,
} from './drift.ts';
export { type InconclusiveReason, StatsConfigError, StatsInputError } from './errors.ts';
export { type FisherResult, fisherExact } from './fisher.ts';
export { hellingerNumericEvidently } from './hellinger-evidently.ts';
export { fitIsotonic, type IsotonicModel, predictIsotonic } from './isotonic.ts';
export {
  type KsAlternative,
  type KsMethod,
  type KsOptions,
  type KsResult,
  ks2samp,
  ks2sampSorted,
} from './ks.ts';
export {
  type MannWhitneyAlternative,
  type MannWhitneyMethod,
  type MannWhitneyOptions,
  type MannWhitneyResult,
  mannWhitneyU,
} from './mann-whitney.ts';
export { type McNemarResult, mcnemar, mcnemarPaired } from './mcnemar.ts';
export { binaryMetrics, METRICS, type MetricName, multiclassMetrics, rocAuc } from './metrics.ts';
export { type MmdOptions, type MmdResult, mmdFromSquaredDistances, mmdTest } from './mmd.ts';
export { agreementRate, latencyQuantiles } from './paired.ts';
export { psi, psiCategories, psiFromShares } from './psi.ts';
export {
  DEFAULT_QUALITY_OPTIONS,
  QUALITY_CHECKS,
  type QualityCheck,
  type QualityFinding,
  type QualityOptions,
  qualityChecks,
} from './quality.ts';
export { normals, Rng, shuffle, uniforms } from './random.ts';
export {
  type Direction,
  DRIFT_TEST_NAMES,
  DRIFT_TESTS,
  type DriftTest,
  getDriftTest,
  isDrift,
} from './registry.ts';
export { CategorySummary, NumericSummary, QuantileSketch, sketchShares } from './sketch.ts';
export { sortFloat64, sortFloat64InPlace } from './sort.ts';
export { betainc, betaincc, lbeta, studentTSf } from './special/beta.ts';
export { erfc, normCdf, normSf } from './special/erf.ts';
export { chi2Sf, gammainc, gammaincc, lgamma } from './special/gamma.ts';
export { kstwoCdf, kstwoSf } from './special/kstwo.ts';
export { normPpf } from './special/normal-quantile.ts';
export { smirnovSf } from './special/smirnov.ts';
export { type Band, chunkBounds, stdBand } from './thresholds.ts';
export { type TTestResult, tTestInd } from './ttest.ts';
export { cdfDistanceSorted, energyDistance, std, wasserstein, wassersteinNormed } from './wasserstein.ts';
export { twoProportionZTest, zTestCategories } from './ztest.ts';
