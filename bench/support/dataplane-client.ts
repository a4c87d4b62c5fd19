// The dataplane bench's load generator, a process of its own (as support/throughput-probe.ts, and for the same
// reason: the bench process's large heap would be collected while bytes flow, and its pauses would show up as
// latency). It talks to the pod server of support/dataplane-server.ts, through the agent's listeners or
// directly, or to the on-prem server from inside a burst pod. argv[2] is one job (support/dataplane-load.ts
// ClientJob); it prints JSON lines and exits 0, or a reason on stderr and exits 1. Long jobs (bulk, hold) stop
// when stdin ends. Every loop is bounded in count and in time (the job's maxMs). The `serve` job is a burst
// pod's container command: it runs the jobs the bench sends over a connection back to it, each as a process
// like this one, in the pod's own mount namespace (its /etc/resolv.conf names the egress sidecar). Runs under
// plain node (type stripping): imports only node: and types.
import { spawn, type ChildProcess } from 'node:child_process';
import { lookup as dnsLookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { ClientJob, HoldEnd, HoldUp, Latency, Address, Transfer, RunnerDown, RunnerUp } from './dataplane-load.js';

const job = JSON.parse(process.argv[2] ?? '{}') as ClientJob;
const deadline = performance.now() + (job.maxMs ?? 60_000);
const print = (o: unknown): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
const fail = (why: string): never => {
  process.stderr.write(`${why}\n`);
  process.exit(1);
};

function open(t: Address): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: t.host, port: t.port, noDelay: true });
    s.once('connect', () => (s.off('error', reject), resolve(s)));
    s.once('error', reject);
  });
}

/** Resolves when `n` more bytes have arrived on `s` (they are consumed); rejects if it ends or fails first. */
function reader(s: Socket): (n: number, timeoutMs: number) => Promise<Buffer> {
  let buf: Buffer = Buffer.alloc(0);
  let want: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | undefined;
  let ended: Error | undefined;
  const check = () => {
    if (!want) return;
    if (buf.length >= want.n) {
      const w = want;
      want = undefined;
      clearTimeout(w.timer);
      const out = buf.subarray(0, w.n);
      buf = buf.subarray(w.n);
      w.resolve(out);
    } else if (ended) {
      const w = want;
      want = undefined;
      clearTimeout(w.timer);
      w.reject(ended);
    }
  };
  s.on('data', (d: Buffer) => {
    buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
    check();
  });
  s.on('error', (e) => ((ended ??= e), check()));
  s.on('close', () => ((ended ??= new Error('connection closed')), check()));
  return (n, timeoutMs) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => ((want = undefined), reject(new Error(`no answer within ${timeoutMs} ms`))), timeoutMs);
      want = { n, resolve, reject, timer };
      check();
    });
}

function latency(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  return { n: sorted.length, p50: at(50), p99: at(99), max: sorted[sorted.length - 1] };
}

async function rtt(j: Extract<ClientJob, { mode: 'rtt' }>): Promise<Latency> {
  const s = await open(j.target);
  const read = reader(s);
  const payload = Buffer.alloc(j.size, 'x');
  const samples: number[] = [];
  for (let i = 0; i < j.warmup + j.count && performance.now() < deadline; i++) {
    const t0 = performance.now();
    s.write(payload);
    await read(j.size, 10_000);
    if (i >= j.warmup) samples.push(performance.now() - t0);
  }
  s.destroy();
  if (samples.length === 0) fail('no round trip completed within the time bound');
  return latency(samples);
}

async function connectTimes(j: Extract<ClientJob, { mode: 'connect' }>): Promise<Latency> {
  const samples: number[] = [];
  const token = Buffer.from('connect!');
  for (let i = 0; i < j.count && performance.now() < deadline; i++) {
    const t0 = performance.now();
    const s = await open(j.target);
    const read = reader(s);
    s.write(token);
    await read(token.length, 10_000);
    samples.push(performance.now() - t0);
    s.destroy();
  }
  if (samples.length === 0) fail('no connection completed within the time bound');
  return latency(samples);
}

const CHUNK = Buffer.alloc(1 << 20);

/** Writes `bytes` (Infinity: until stopped) with back-pressure, then ends the socket (unless `end` is false). */
function pump(s: Socket, bytes: number, moved: (n: number) => void, stopped: () => boolean, end = true): void {
  let left = bytes;
  const go = () => {
    while (left > 0 && !stopped() && !s.destroyed) {
      const n = Math.min(left, CHUNK.length);
      left -= n;
      moved(n);
      if (!s.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return void s.once('drain', go);
    }
    if (!s.destroyed && end) s.end();
  };
  go();
}

/** One connection's download or upload of `bytes`: its own first byte and end. */
async function transferOne(t: Address, direction: 'down' | 'up', bytes: number, sized: boolean, start: (at: number) => void): Promise<Transfer> {
  const s = await open(t);
  return await new Promise<Transfer>((resolve, reject) => {
    let got = 0;
    let first = 0;
    let answer = '';
    s.on('error', reject);
    const timer = setTimeout(() => (s.destroy(), reject(new Error(`transfer unfinished at the time bound (${got} bytes)`))), Math.max(0, deadline - performance.now()));
    if (direction === 'down') {
      s.write(`source ${bytes}\n`);
      s.on('data', (d: Buffer) => {
        if (!first) start((first = performance.now()));
        got += d.length;
      });
      s.on('end', () => {
        clearTimeout(timer);
        s.destroy();
        if (got !== bytes) reject(new Error(`downloaded ${got} of ${bytes} bytes`));
        else resolve({ bytes: got, seconds: (performance.now() - first) / 1000 });
      });
    } else {
      s.write(sized ? `sink ${bytes}\n` : 'sink\n');
      start((first = performance.now()));
      s.setEncoding('utf8');
      s.on('data', (d: string) => (answer += d));
      s.on('end', () => {
        clearTimeout(timer);
        s.destroy();
        if (Number(answer.trim()) !== bytes) reject(new Error(`the pod counted ${answer.trim() || 'nothing'} of ${bytes} uploaded bytes`));
        else resolve({ bytes, seconds: (performance.now() - first) / 1000 });
      });
      pump(s, bytes, () => undefined, () => false, !sized);
    }
  });
}

async function transfer(j: Extract<ClientJob, { mode: 'transfer' }>): Promise<Transfer> {
  let first = Infinity;
  const each = await Promise.all(j.targets.map((t) => transferOne(t, j.direction, j.bytes, j.sized ?? false, (at) => (first = Math.min(first, at)))));
  const bytes = each.reduce((a, r) => a + r.bytes, 0);
  return { bytes, seconds: (performance.now() - first) / 1000 };
}

async function bulk(j: Extract<ClientJob, { mode: 'bulk' }>): Promise<void> {
  const s = await open(j.target);
  let moved = 0;
  let first = 0;
  let flowing = false;
  let stopped = false;
  let result: Transfer | undefined;
  const count = (n: number) => {
    if (!first) first = performance.now();
    if (!stopped) moved += n;
    if (!flowing && moved >= j.warmBytes) {
      flowing = true;
      print({ flowing: true });
    }
  };
  const finish = () => {
    s.destroy();
    print(result);
    process.exit(0);
  };
  s.on('error', (e) => fail(`bulk ${j.direction}: ${e.message}`));
  s.on('close', () => (stopped ? finish() : fail(`bulk ${j.direction}: the connection closed after ${moved} bytes`)));
  // Stopping ends the transfer as a finished one ends: this side's FIN (the pod stops sourcing at it, or counts
  // and answers the upload), then the rest is read to the pod's close; a client that goes away with a reset
  // instead is `stop: 'reset'`.
  s.on('end', () => stopped && finish());
  if (j.direction === 'down') {
    s.write('source forever\n');
    s.on('data', (d: Buffer) => count(d.length));
  } else {
    s.write('sink\n');
    s.resume();
    pump(s, Infinity, count, () => stopped);
  }
  const stop = () => {
    if (stopped) return;
    stopped = true;
    result = { bytes: moved, seconds: (performance.now() - first) / 1000 };
    if (j.stop === 'reset') {
      s.resetAndDestroy();
      return finish();
    }
    if (j.direction === 'down') s.end();
    setTimeout(() => fail(`bulk ${j.direction}: the pod did not close within 30 s of the stop`), 30_000).unref();
  };
  process.stdin.on('end', stop).resume();
  setTimeout(stop, Math.max(0, deadline - performance.now())).unref();
}

async function hold(j: Extract<ClientJob, { mode: 'hold' }>): Promise<void> {
  const t0 = performance.now();
  const held: { s: Socket; read: (n: number, t: number) => Promise<Buffer>; token: Buffer }[] = [];
  const errors: Record<string, number> = {};
  let closedEarly = 0;
  let next = 0;
  let failed = 0;
  const one = async (i: number) => {
    const token = Buffer.from(String(i).padStart(8, '0'));
    let s: Socket | undefined;
    try {
      s = await open(j.targets[i % j.targets.length]);
      const read = reader(s);
      s.write(token);
      const back = await read(token.length, Math.max(1, deadline - performance.now()));
      if (!back.equals(token)) throw new Error('echo differs from what was sent');
      const entry = { s, read, token };
      held.push(entry);
      s.once('close', () => closedEarly++);
    } catch (e) {
      s?.destroy();
      failed++;
      const why = (e as Error).message.replace(/\d+/g, 'N');
      errors[why] = (errors[why] ?? 0) + 1;
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(j.concurrency, j.count) }, async () => {
      while (next < j.count && performance.now() < deadline) await one(next++);
    }),
  );
  const up: HoldUp = { up: held.length, failed: failed + (j.count - next), errors, ms: performance.now() - t0 };
  print(up);
  const stop = async () => {
    const early = closedEarly;
    const answers = await Promise.all(
      held.map(async (h) => {
        if (h.s.destroyed) return false;
        h.s.write(h.token);
        return await h.read(h.token.length, 30_000).then((b) => b.equals(h.token), () => false);
      }),
    );
    const end: HoldEnd = { alive: answers.filter(Boolean).length, closedEarly: early };
    for (const h of held) h.s.destroy();
    print(end);
    process.exit(0);
  };
  process.stdin.on('end', () => void stop()).resume();
  setTimeout(() => void stop(), Math.max(0, deadline - performance.now()));
}

async function lookup(j: Extract<ClientJob, { mode: 'lookup' }>): Promise<{ address: string; ms: number }> {
  const t0 = performance.now();
  const timer = setTimeout(() => fail(`lookup ${j.name}: no answer within ${j.maxMs} ms`), j.maxMs);
  const { address } = await dnsLookup(j.name, { family: 4 });
  clearTimeout(timer);
  return { address, ms: performance.now() - t0 };
}

/** Connects to the bench (retrying until the deadline: the pod may start first) and runs its jobs. */
async function serve(j: Extract<ClientJob, { mode: 'serve' }>): Promise<void> {
  let control: Socket | undefined;
  for (let attempt = 0; !control; attempt++) {
    control = await open(j.control).catch(() => undefined);
    if (!control && performance.now() + 500 > deadline) fail(`serve: cannot reach the bench at ${j.control.host}:${j.control.port}`);
    if (!control) await new Promise((r) => setTimeout(r, Math.min(500, 50 * 2 ** attempt)));
  }
  const c = control;
  const send = (m: RunnerUp) => void c.write(`${JSON.stringify(m)}\n`);
  const jobs = new Map<number, ChildProcess>();
  const quit = () => {
    for (const p of jobs.values()) p.kill('SIGKILL');
    process.exit(0);
  };
  c.on('error', quit);
  c.on('close', quit);
  setTimeout(quit, Math.max(0, deadline - performance.now())).unref();
  send({ hello: { pid: process.pid, podIP: process.env.ECI_POD_IP ?? '', resolvConf: readFileSync('/etc/resolv.conf', 'utf8') } });
  createInterface({ input: c }).on('line', (l) => {
    const m = JSON.parse(l) as RunnerDown;
    if ('job' in m) {
      const p = spawn(process.execPath, [process.argv[1], JSON.stringify(m.job)], { stdio: ['pipe', 'pipe', 'pipe'] });
      jobs.set(m.id, p);
      let err = '';
      p.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
      p.on('error', (e) => (err += e.message));
      createInterface({ input: p.stdout }).on('line', (line) => send({ id: m.id, line }));
      p.on('close', (code, signal) => {
        jobs.delete(m.id);
        send({ id: m.id, exit: String(code ?? signal), stderr: err });
      });
    } else if ('end' in m) jobs.get(m.id)?.stdin?.end();
    else jobs.get(m.id)?.kill('SIGKILL');
  });
}

try {
  switch (job.mode) {
    case 'rtt':
      print(await rtt(job));
      process.exit(0);
      break;
    case 'connect':
      print(await connectTimes(job));
      process.exit(0);
      break;
    case 'transfer':
      print(await transfer(job));
      process.exit(0);
      break;
    case 'bulk':
      await bulk(job);
      break;
    case 'hold':
      await hold(job);
      break;
    case 'lookup':
      print(await lookup(job));
      process.exit(0);
      break;
    case 'serve':
      await serve(job);
      break;
    default:
      fail(`unknown job ${process.argv[2]}`);
  }
} catch (e) {
  fail(`${job.mode}: ${(e as Error).message}`);
}
