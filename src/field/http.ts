// The only way the device library reaches the network: one request call and
// one resumable upload. Node implements it with undici and tus-js-client
// (node-http.ts); the web app will with fetch and tus-js-client's browser build.

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
