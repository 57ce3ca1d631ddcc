// Failures a retry cannot mend: MLflow refusing the request, answering in an
// unknown shape, or denying access. Activities throwing these fail at once
// (the workflow then records why) instead of retrying for minutes.
export const NON_RETRYABLE_ERRORS = [
  'MlflowInvalidRequestError',
  'MlflowResponseError',
  'MlflowPermissionError',
  // A decision larger than an audit row may be: the same policy would make it again.
  'AuditRowTooLargeError',
];
