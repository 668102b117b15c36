/** An ARM error detail as the API returns it. */
export interface ErrorDetail {
  code: string;
  message: string;
  target?: string;
  details?: ErrorDetail[];
}

/**
 * A failed call to Berth: the HTTP status, the ARM error code and message, every
 * detail (one per broken rule) and the request id to quote when reporting it.
 */
export class BerthRestError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly details: ErrorDetail[];
  readonly requestId?: string;

  constructor(statusCode: number, error: ErrorDetail, requestId?: string) {
    super(error.message);
    this.name = 'BerthRestError';
    this.statusCode = statusCode;
    this.code = error.code;
    this.details = error.details ?? [];
    this.requestId = requestId;
  }
}

/** Berth could not be reached, or its certificate is not trusted. */
export class BerthConnectionError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'BerthConnectionError';
  }
}

/** A long-running operation ended Failed or Canceled. */
export class OperationFailedError extends Error {
  constructor(
    readonly status: string,
    readonly error: ErrorDetail,
    readonly operationId: string,
  ) {
    super(`The operation ${status.toLowerCase()}: ${error.code}: ${error.message}`);
    this.name = 'OperationFailedError';
  }
}
