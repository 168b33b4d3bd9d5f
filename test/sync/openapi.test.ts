// The OpenAPI document describes every sync route with its schemas.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, request, type Stack } from './stack.ts';

const s: Stack = await startStack();

test('GET /v1/openapi.json is an OpenAPI 3 document with every route and its schemas', async () => {
  const r = await request(s, s.sync.url, 'GET', '/v1/openapi.json');
  assert.equal(r.status, 200, r.text);
  const doc = r.json;
  assert.match(doc.openapi, /^3\./);
  const paths = Object.keys(doc.paths);
  for (const p of ['/v1/sync/push', '/v1/parameters', '/v1/files/check', '/v1/files/{sha256}']) assert.ok(paths.includes(p), `missing ${p}: ${paths}`);
  const pushOp = doc.paths['/v1/sync/push'].post;
  const body = pushOp.requestBody.content['application/json'].schema;
  assert.ok(body.properties.ops.items.properties.payload_sha256, 'push op schema documented');
  assert.ok(pushOp.responses['200'] && pushOp.responses['409'] && pushOp.responses['413']);
  assert.ok(doc.components.securitySchemes.bearer);
  assert.ok(!paths.includes('/v1/openapi.json'));
});
