// The Temporal SDK metrics (served by the worker beside ctpilot's) that the
// dashboard may use. observability.test.ts checks that each one appears in a
// real worker's scrape, so a renamed SDK metric fails a test, not a dashboard.
export const TEMPORAL_SDK_METRICS: readonly string[] = [
  'temporal_activity_schedule_to_start_latency_bucket',
  'temporal_workflow_task_schedule_to_start_latency_bucket',
  'temporal_worker_task_slots_available',
];
