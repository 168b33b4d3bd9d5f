// The TLS reference of bench:upload, run as its own process like nexus-sync:
// an HTTPS server with the sync server's certificate and TLS settings that
// reads each request body and throws it away. What the benchmark's client
// reaches against it is the most any HTTPS upload in Node can reach here.
//
//   node --import tsx bench/upload-sink.ts <NEXUS_HOME>   (prints nothing; sends its port over IPC)

import https from 'node:https';
import { loadServerTls } from '../src/tls/index.ts';

const home = process.argv[2];
if (!home || !process.send) throw new Error('usage: forked with <NEXUS_HOME>');
const tls = loadServerTls(home);
const server = https.createServer({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' }, (req, res) => {
  let n = 0;
  req.on('data', (c: Buffer) => {
    n += c.length;
  });
  req.on('end', () => res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ size: n })));
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.send!(typeof a === 'object' && a ? a.port : 0);
});
process.on('disconnect', () => server.close(() => process.exit(0)));
