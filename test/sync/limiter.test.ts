// The push limiter: never more than N at once, every waiter served in order,
// a double release harmless.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter } from '../../src/sync/limiter.ts';

test('at most N hold a slot; the rest are served in arrival order', async () => {
  const limiter = new Limiter(2);
  let active = 0;
  let peak = 0;
  const order: number[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async (_, i) => {
      const release = await limiter.acquire();
      active += 1;
      peak = Math.max(peak, active);
      order.push(i);
      await new Promise((r) => setTimeout(r, 5));
      active -= 1;
      release();
      release(); // twice: must not free a second slot
    }),
  );
  assert.equal(peak, 2);
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7]);
  const again = await limiter.acquire(); // all slots came back
  const second = await limiter.acquire();
  again();
  second();
});
