/** One ARM error detail, as in the common-types ErrorDetail. */
export interface ArmErrorDetail {
  code: string;
  message: string;
  target?: string;
  details?: ArmErrorDetail[];
}

/** The body every failed ARM call answers with. */
export interface ArmErrorBody {
  error: ArmErrorDetail;
}

/**
 * An error a caller can act on. Thrown anywhere below the front door; the front
 * door's error handler turns it into `{"error":{code,message,target?,details?}}`
 * with `statusCode`.
 */
export class ArmError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly target?: string;
  readonly details?: ArmErrorDetail[];
  /** Extra response headers, e.g. `WWW-Authenticate` on a 401. */
  readonly headers?: Record<string, string>;

  constructor(
    statusCode: number,
    code: string,
    message: string,
    extra: { target?: string; details?: ArmErrorDetail[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'ArmError';
    this.statusCode = statusCode;
    this.code = code;
    this.target = extra.target;
    this.details = extra.details;
    this.headers = extra.headers;
  }

  toBody(): ArmErrorBody {
    const error: ArmErrorDetail = { code: this.code, message: this.message };
    if (this.target !== undefined) error.target = this.target;
    if (this.details !== undefined && this.details.length > 0) error.details = this.details;
    return { error };
  }

  toDetail(): ArmErrorDetail {
    return this.toBody().error;
  }
}

/** Several broken rules reported in one 400, each as a detail. */
export function validationFailed(code: string, details: ArmErrorDetail[]): ArmError {
  const summary = details.length === 1 ? details[0].message : `The request breaks ${details.length} rules: ${details.map((d) => d.message).join(' ')}`;
  return new ArmError(400, code, summary, { details });
}
