import type { PortalErrorBody } from './types';

const RETRYABLE_STATUSES = new Set([408, 429, 502, 503, 504]);

/**
 * An answer from the portal that is not a success, or no answer at all.
 *
 * `status` is 0 when the portal could not be reached. The message names each bad field
 * (`parameters.name: already taken`) so that it reads well in a task log.
 */
export class PortalError extends Error {
  override readonly name = 'PortalError';
  readonly status: number;
  readonly code: string;
  readonly fields: Record<string, string[]>;
  /** Whether the same request may succeed later (the portal was unreachable, busy or restarting). */
  readonly retryable: boolean;

  constructor(options: { status: number; code: string; message: string; fields?: Record<string, string[]> }) {
    const fields = options.fields ?? {};
    super(describe(options.message, fields));
    this.status = options.status;
    this.code = options.code;
    this.fields = fields;
    this.retryable = options.status === 0 || RETRYABLE_STATUSES.has(options.status) || options.status >= 500;
  }

  /** Whether the portal answered 404: the endpoint or the object does not exist (yet). */
  get notFound(): boolean {
    return this.status === 404;
  }
}

function describe(message: string, fields: Record<string, string[]>): string {
  const details = Object.entries(fields)
    .map(([field, reasons]) => `${field}: ${reasons.join('; ')}`)
    .filter(line => !message.includes(line));
  return details.length ? `${message} (${details.join(', ')})` : message;
}

/** Build the error for a non-2xx answer from its status and body text. */
export function portalErrorFromResponse(status: number, statusText: string, bodyText: string): PortalError {
  const body = parseErrorBody(bodyText);
  if (body) {
    return new PortalError({ status, ...body.error });
  }
  const snippet = bodyText.trim().slice(0, 200);
  return new PortalError({
    status,
    code: `http_${status}`,
    message: `The platform portal answered ${status} ${statusText}${snippet ? `: ${snippet}` : ''}`,
  });
}

/** Build the error for a request that got no answer. */
export function portalUnreachable(baseUrl: string, cause: unknown): PortalError {
  return new PortalError({
    status: 0,
    code: 'unreachable',
    message: `Cannot reach the platform portal at ${baseUrl}: ${causeText(cause)}`,
  });
}

function parseErrorBody(text: string): PortalErrorBody | undefined {
  try {
    const body: unknown = JSON.parse(text);
    if (isErrorBody(body)) {
      return body;
    }
  } catch {
    // Not JSON: a proxy or a crashed server answered; the caller describes the status instead.
  }
  return undefined;
}

function isErrorBody(value: unknown): value is PortalErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) {
    return false;
  }
  const error: unknown = value.error;
  return typeof error === 'object' && error !== null && 'message' in error && 'code' in error;
}

function causeText(cause: unknown): string {
  // fetch() wraps the socket error: "fetch failed", cause "connect ECONNREFUSED 127.0.0.1:9". Errors are
  // read by shape, not instanceof: they can come from another realm (Node's fetch under a test runner).
  const inner = messageOf(fieldOf(cause, 'cause'));
  return inner ?? messageOf(cause) ?? String(cause);
}

function fieldOf(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function messageOf(value: unknown): string | undefined {
  const message = fieldOf(value, 'message');
  return typeof message === 'string' && message ? message : undefined;
}
