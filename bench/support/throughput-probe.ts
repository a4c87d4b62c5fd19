// A throughput reader in a process of its own, so the bench's own heap (tsx, client-node: a few hundred MB)
// is not what gets collected while bytes flow. Reading 64 KiB chunks from the bench process cost it 30-45% of
// a core in major GCs, taken from the processes being measured. This process holds almost nothing.
//   throughput-probe.ts stdout <cmd> [args...]   bytes of the command's stdout, first byte to exit (code 0)
//   throughput-probe.ts tcp <port>               bytes of one loopback TCP download, first byte to the close
// Prints one JSON line {"bytes":N,"seconds":S} and exits 0, or a reason on stderr and exits 1.
// Runs under plain node (type stripping): no tsx, no imports beyond node:.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';

const [mode, ...rest] = process.argv.slice(2);
let bytes = 0;
let first = 0;
const count = (d: Buffer): void => {
  if (!first) first = performance.now();
  bytes += d.length;
};
const done = (): void => {
  process.stdout.write(`${JSON.stringify({ bytes, seconds: (performance.now() - first) / 1000 })}\n`);
  process.exit(0);
};
const fail = (why: string): never => {
  process.stderr.write(`${why}\n`);
  process.exit(1);
};

if (mode === 'stdout' && rest.length > 0) {
  const child = spawn(rest[0], rest.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stdout.on('data', count);
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-500)));
  child.on('error', (e) => fail(`${rest[0]}: ${e.message}`));
  child.on('close', (code) => (code === 0 && first ? done() : fail(`${rest.join(' ')} exited ${code}: ${err}`)));
} else if (mode === 'tcp' && Number(rest[0]) > 0) {
  const sock = connect({ host: '127.0.0.1', port: Number(rest[0]) });
  sock.on('data', count);
  sock.on('error', (e) => fail(`tcp ${rest[0]}: ${e.message}`));
  sock.on('end', done);
} else {
  fail('usage: throughput-probe.ts stdout <cmd> [args...] | tcp <port>');
}
