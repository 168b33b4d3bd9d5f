// A TCP proxy for flaky-network tests: each connection gets a fate from the
// plan — pass through, drop (both sides) or stall (stop forwarding, leave
// the socket open) once `afterBytes` have passed: counted in `direction`
// when a chunk goes that way, in both directions together otherwise. TLS
// runs end to end through it, as over a bad mobile link.

import net from 'node:net';

export type Fate = { kind: 'pass' } | { kind: 'drop' | 'stall'; afterBytes: number; direction: 'up' | 'down' };

export interface Proxy {
  port: number;
  stats: { connections: number; dropped: number; stalled: number; upBytes: number; downBytes: number };
  close(): Promise<void>;
}

export async function tcpProxy(targetPort: number, plan: (index: number) => Fate): Promise<Proxy> {
  const sockets = new Set<net.Socket>();
  const stats = { connections: 0, dropped: 0, stalled: 0, upBytes: 0, downBytes: 0 };
  const server = net.createServer((client) => {
    const fate = plan(stats.connections++);
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    let seen = { up: 0, down: 0 };
    let stalled = false;
    const pipe = (from: net.Socket, to: net.Socket, dir: 'up' | 'down') => {
      from.on('data', (chunk: Buffer) => {
        if (stalled) return;
        seen = { ...seen, [dir]: seen[dir] + chunk.length };
        if (fate.kind !== 'pass' && (fate.direction === dir ? seen[dir] : seen.up + seen.down) > fate.afterBytes) {
          if (fate.kind === 'drop') {
            stats.dropped++;
            client.destroy();
            upstream.destroy();
          } else {
            stats.stalled++;
            stalled = true;
          }
          return;
        }
        stats[dir === 'up' ? 'upBytes' : 'downBytes'] += chunk.length;
        to.write(chunk);
      });
      from.on('end', () => to.end());
      from.on('close', () => to.destroy());
    };
    pipe(client, upstream, 'up');
    pipe(upstream, client, 'down');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    stats,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
