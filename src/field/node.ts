// Node-only implementations of the library's two interfaces (fs, http).
// Kept out of index.ts so the library's main entry stays browser-safe.
export { nodeFs } from './node-fs.ts';
export { nodeHttp, type NodeHttpOptions } from './node-http.ts';
