// A field client process for the SIGKILL test: edits and syncs in a loop
// until it is killed. Prints `op <op_id>` once an op is committed to the
// outbox (written synchronously, so what the parent reads was committed).
//   node --import tsx test/field/crash-child.ts <dir> <ca-file> <seed>

import { readFileSync, writeSync } from 'node:fs';
import { addPatient, addSession, attach, editPatient, openDevice, sync } from '../../src/field/index.ts';
import { nodeFs, nodeHttp } from '../../src/field/node.ts';
import { rng } from '../../src/field-sim/data.ts';

const [dir, ca, seed] = process.argv.slice(2) as [string, string, string];
const r = rng(Number(seed));
const http = nodeHttp({ ca: readFileSync(ca, 'utf8'), timeoutMs: 5000 });
const client = await openDevice(nodeFs(dir), http, { retry: { attempts: 5, baseMs: 20, capMs: 200 } });
const dev = client.device;
dev.onRecord = (op) => writeSync(1, `op ${op.op_id}\n`);
const patients = (await dev.fs.list('patients')).filter((p) => !p.startsWith('.'));
writeSync(1, 'ready\n');
for (let i = 0; ; i++) {
  const x = r();
  if (patients.length === 0 || x < 0.2) patients.push(await addPatient(dev, { n: i }));
  else if (x < 0.6) await addSession(dev, patients[Math.floor(r() * patients.length)]!, { i, notes: 'z'.repeat(500) });
  else if (x < 0.85) await editPatient(dev, patients[Math.floor(r() * patients.length)]!, { i });
  else {
    const b = new Uint8Array(2048 + Math.floor(r() * 4096));
    b.set([0xff, 0xd8, 0xff, 0xe0]);
    for (let k = 4; k < b.length; k++) b[k] = Math.floor(r() * 256);
    await attach(dev, patients[Math.floor(r() * patients.length)]!, { bytes: b });
  }
  if (i % 4 === 3) await sync(client, { maxOps: 3 }).catch(() => undefined);
}
