// The device library's error: a stable snake_case code (the server's problem
// `code` when the server said no), so callers branch on codes, never on text.
// Not core's NexusError: src/field imports only src/protocol.

export class FieldError extends Error {
  readonly code: string;
  readonly status: number | undefined;
  readonly extra: Record<string, unknown>;

  constructor(code: string, message: string, opts: { status?: number; extra?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'FieldError';
    this.code = code;
    this.status = opts.status;
    this.extra = opts.extra ?? {};
  }
}

export const isFieldError = (err: unknown): err is FieldError => err instanceof FieldError;
