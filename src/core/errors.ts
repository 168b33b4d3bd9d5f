// The one error type of the platform. Every failure a person or a device can
// act on is a NexusError with a stable snake_case `code`; HTTP routes map it
// to problem details in one place, the CLI to an exit code. Anything else that
// escapes is a bug and is reported as `internal_error` without its details.

export type ErrorExtra = Record<string, unknown>;

export interface NexusErrorOptions {
  /** HTTP status when the error reaches a client (default 500). */
  status?: number;
  /** Process exit code when the error ends a CLI command (default 1). */
  exitCode?: number;
  /** Extra members for the problem details body (e.g. `expected_seq`). */
  extra?: ErrorExtra;
  cause?: unknown;
}

export class NexusError extends Error {
  readonly code: string;
  readonly status: number;
  readonly exitCode: number;
  readonly extra: ErrorExtra;

  constructor(code: string, message: string, options: NexusErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NexusError';
    this.code = code;
    this.status = options.status ?? 500;
    this.exitCode = options.exitCode ?? 1;
    this.extra = options.extra ?? {};
  }
}

/** Exit code for bad usage and bad configuration (sysexits' EX_USAGE is 64; the CLI contract says 2). */
export const EXIT_USAGE = 2;

export function usageError(code: string, message: string, extra?: ErrorExtra): NexusError {
  return new NexusError(code, message, { status: 400, exitCode: EXIT_USAGE, ...(extra ? { extra } : {}) });
}

export function isNexusError(err: unknown): err is NexusError {
  return err instanceof NexusError;
}

/** Wraps anything thrown into a NexusError, hiding what is not ours to show. */
export function toNexusError(err: unknown): NexusError {
  if (isNexusError(err)) return err;
  return new NexusError('internal_error', 'An internal error occurred; the server log has the details.', {
    cause: err,
  });
}
