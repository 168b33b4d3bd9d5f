// The only way the device library reaches the network: one request call and
// one resumable upload. Node implements it with undici and tus-js-client
// (node-http.ts); the web app with fetch and tus-js-client's browser build
// (src/field-web/app/fetch-http.ts).

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
}

export interface HttpResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface TusUpload {
  /** The tus creation endpoint, e.g. https://sync:8443/v1/uploads */
  endpoint: string;
  /** An upload URL from an earlier attempt: the upload resumes from the server's offset. */
  uploadUrl: string | null;
  bytes: Uint8Array;
  metadata: Record<string, string>;
  /** Asked before every request, so a renewed token is used mid-upload. */
  headers: () => Record<string, string>;
  chunkSize: number;
  /** Called as soon as the server assigned the upload URL (persist it to resume later). */
  onUploadUrl: (url: string) => Promise<void> | void;
}

export interface TusResult {
  /** Status of the last response and its body when the upload failed. */
  ok: boolean;
  status: number;
  body: string;
}

export interface HttpClient {
  /** Rejects only on network failure (connection refused/reset, timeout); any HTTP status resolves. */
  request(req: HttpRequest): Promise<HttpResponse>;
  tusUpload(upload: TusUpload): Promise<TusResult>;
  close(): Promise<void>;
}

const dec = new TextDecoder();

export function bodyText(res: HttpResponse): string {
  return dec.decode(res.body);
}

export function bodyJson<T>(res: HttpResponse): T | undefined {
  try {
    return JSON.parse(bodyText(res)) as T;
  } catch {
    return undefined;
  }
}

/** The part of a tus-js-client error we read: the last response, if any (none = network failure). */
interface TusError extends Error {
  originalResponse?: { getStatus(): number; getBody(): string | undefined } | null;
}

/**
 * The tus-js-client options both HttpClients share (node-http.ts, the web
 * app's fetch-http.ts), typed structurally so src/field needs no tus import.
 * Retries belong to the sync engine (one backoff policy) and it keeps the
 * upload URL itself, so tus neither retries nor stores fingerprints.
 */
export function tusOptions(u: TusUpload, uploadUrl: () => string | null, finish: (r: TusResult) => void) {
  return {
    endpoint: u.endpoint,
    uploadUrl: u.uploadUrl,
    metadata: u.metadata,
    chunkSize: u.chunkSize,
    retryDelays: null,
    storeFingerprintForResuming: false,
    onBeforeRequest: (req: { setHeader(name: string, value: string): void }) => {
      for (const [k, v] of Object.entries(u.headers())) req.setHeader(k, v);
    },
    onUploadUrlAvailable: () => {
      const url = uploadUrl();
      if (url) void u.onUploadUrl(url);
    },
    onSuccess: () => finish({ ok: true, status: 204, body: '' }),
    onError: (err: TusError) => {
      const res = err.originalResponse;
      finish({ ok: false, status: res ? res.getStatus() : 0, body: res ? (res.getBody() ?? '') : String(err.message) });
    },
  };
}
