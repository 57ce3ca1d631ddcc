// One error class per way an MLflow call fails, so callers decide on the type
// (retry, treat as absent, stop) rather than on message text. MLflow's
// quirks are mapped here once: "already exists" arrives as HTTP 400, and a
// missing alias as 400 INVALID_PARAMETER_VALUE "Registered model alias X not found".

/** Base class: every failed MLflow call. `retryable` says whether trying again can help. */
export class MlflowError extends Error {
  readonly retryable: boolean = false;
  constructor(
    message: string,
    /** The REST path called, e.g. `runs/create`. */
    readonly endpoint: string,
    readonly status?: number,
    /** MLflow's `error_code`, e.g. RESOURCE_DOES_NOT_EXIST. */
    readonly errorCode?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Thrown when the named experiment, run, model, version or alias does not exist. */
export class MlflowNotFoundError extends MlflowError {}

/** Thrown when creating something that exists (MLflow answers HTTP 400 RESOURCE_ALREADY_EXISTS). */
export class MlflowAlreadyExistsError extends MlflowError {}

/** Thrown when MLflow rejects the request's content (INVALID_PARAMETER_VALUE, BAD_REQUEST…): a bug or bad input; never retried. */
export class MlflowInvalidRequestError extends MlflowError {}

/** Thrown on 401/403: the token (MLFLOW_TRACKING_TOKEN) is missing or lacks permission. */
export class MlflowPermissionError extends MlflowError {}

/** Thrown when MLflow cannot be reached, times out, or answers 5xx/429: trying again may help. */
export class MlflowUnavailableError extends MlflowError {
  override readonly retryable = true;
}

/** Thrown when MLflow answers 2xx with a body that does not have the documented shape. */
export class MlflowResponseError extends MlflowError {}

/** Thrown when waiting for a model version to become READY ends in FAILED_REGISTRATION or a timeout. */
export class MlflowRegistrationError extends MlflowError {}

export function isAliasNotFound(errorCode: string | undefined, message: string): boolean {
  return errorCode === 'INVALID_PARAMETER_VALUE' && /alias .* not found/i.test(message);
}

/** Maps an MLflow error answer to its class. */
export function errorFromResponse(endpoint: string, status: number, body: unknown): MlflowError {
  const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const errorCode = typeof record.error_code === 'string' ? record.error_code : undefined;
  const detail =
    typeof record.message === 'string' ? record.message : typeof body === 'string' ? body.slice(0, 500) : '';
  // MLflow echoes SQL in some messages; the first line is the useful part.
  const firstLine = detail.split('\n')[0] ?? '';
  const message = `MLflow ${endpoint} failed (HTTP ${status}${errorCode ? ` ${errorCode}` : ''}): ${firstLine}`;
  if (errorCode === 'RESOURCE_DOES_NOT_EXIST' || status === 404 || isAliasNotFound(errorCode, detail)) {
    return new MlflowNotFoundError(message, endpoint, status, errorCode);
  }
  if (errorCode === 'RESOURCE_ALREADY_EXISTS')
    return new MlflowAlreadyExistsError(message, endpoint, status, errorCode);
  if (
    status === 401 ||
    status === 403 ||
    errorCode === 'PERMISSION_DENIED' ||
    errorCode === 'UNAUTHENTICATED'
  ) {
    return new MlflowPermissionError(message, endpoint, status, errorCode);
  }
  if (status >= 500 || status === 429 || errorCode === 'TEMPORARILY_UNAVAILABLE') {
    return new MlflowUnavailableError(message, endpoint, status, errorCode);
  }
  return new MlflowInvalidRequestError(message, endpoint, status, errorCode);
}
