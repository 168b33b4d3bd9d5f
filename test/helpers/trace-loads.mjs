// Loaded with `node --import` by test/cli/program.test.ts: appends every
// module URL the ESM loader resolves to the file TRACE_LOADS_FILE names, so
// a test can see which packages a command pulled in (Node 20 and 24 alike).
import { register } from 'node:module';

const hooks = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (process.env.TRACE_LOADS_FILE) appendFileSync(process.env.TRACE_LOADS_FILE, r.url + '\\n');
  return r;
}`;
register('data:text/javascript,' + encodeURIComponent(hooks));
