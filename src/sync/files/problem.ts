// Problem details as a string, for the few answers that do not go through
// Fastify's reply (the tus server writes them itself). Same shape as
// sendProblem in src/core/http.ts.

import type { NexusError } from '../../core/errors.ts';

export const PROBLEM_TYPE = 'application/problem+json';

export function problemJson(err: NexusError, title: string): string {
  return JSON.stringify({
    type: `https://nexus.invalid/problems/${err.code}`,
    title,
    status: err.status,
    detail: err.message,
    code: err.code,
    ...err.extra,
  });
}
