/**
 * One catalogue of user-facing errors. Every refusal carries a stable code (for API clients and tests)
 * and a message key that the web layer renders in the user's language.
 */
export type ErrorCode =
  | 'VALIDATION'
  | 'BODY_TOO_LARGE'
  | 'MALFORMED_BODY'
  | 'UNKNOWN_COMPONENT_STATUS'
  | 'UNKNOWN_INCIDENT_STATUS'
  | 'UNKNOWN_INCIDENT_TYPE'
  | 'UNKNOWN_SEVERITY'
  | 'ILLEGAL_INCIDENT_TRANSITION'
  | 'ILLEGAL_MAINTENANCE_TRANSITION'
  | 'INCIDENT_CLOSED'
  | 'NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'CSRF'
  | 'BAD_CREDENTIALS'
  | 'RATE_LIMITED'
  | 'CONFLICT'
  | 'DATABASE_UNAVAILABLE'
  | 'EXCHANGE_UNAVAILABLE'
  | 'FACTOR_ENROLMENT_REQUIRED'
  | 'FACTOR_REQUIRED'
  | 'FRESH_FACTOR_REQUIRED'
  | 'IDP_UNAVAILABLE';

const HTTP_STATUS: Record<ErrorCode, number> = {
  VALIDATION: 400,
  BODY_TOO_LARGE: 413,
  MALFORMED_BODY: 400,
  UNKNOWN_COMPONENT_STATUS: 400,
  UNKNOWN_INCIDENT_STATUS: 400,
  UNKNOWN_INCIDENT_TYPE: 400,
  UNKNOWN_SEVERITY: 400,
  ILLEGAL_INCIDENT_TRANSITION: 409,
  ILLEGAL_MAINTENANCE_TRANSITION: 409,
  INCIDENT_CLOSED: 409,
  NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  CSRF: 403,
  BAD_CREDENTIALS: 401,
  RATE_LIMITED: 429,
  CONFLICT: 409,
  DATABASE_UNAVAILABLE: 503,
  EXCHANGE_UNAVAILABLE: 503,
  FACTOR_ENROLMENT_REQUIRED: 403,
  FACTOR_REQUIRED: 403,
  FRESH_FACTOR_REQUIRED: 403,
  IDP_UNAVAILABLE: 503,
};

export class KinkyuError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  /** Values substituted into the localized message, e.g. {from: 'resolved', to: 'investigating'}. */
  readonly params: Record<string, string>;

  constructor(code: ErrorCode, params: Record<string, string> = {}, detail?: string) {
    super(detail ?? `${code} ${JSON.stringify(params)}`);
    this.name = 'KinkyuError';
    this.code = code;
    this.httpStatus = HTTP_STATUS[code];
    this.params = params;
  }
}

export function isKinkyuError(err: unknown): err is KinkyuError {
  return err instanceof KinkyuError;
}
