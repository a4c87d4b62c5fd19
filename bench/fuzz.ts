// Bench (issue #15): the long fuzz run of the kubelet API. The targets of test/agent/kubelet-api/fuzz (SPDY
// framer, SPDY session serving exec, WebSocket channels over a real ws loopback, port-forward over SPDY and
// WebSocket with a loopback echo backend) run in turns with fresh seeds until ECIGW_FUZZ_SECONDS (default 60)
// or ECIGW_FUZZ_MAX_ITERATIONS (default 1,000,000) is reached. Reports iterations, crashes (broken properties
// plus uncaught exceptions and unhandled rejections; must be 0), peak RSS, and the CPU time of assembling a
// 1 MiB frame trickled in one byte at a time (linear reassembly; it was about a minute).
import fc from 'fast-check';
import { randomInt } from 'node:crypto';
import type { Bench } from './lib.js';
import { CrashWatch, startEnv } from '../test/agent/kubelet-api/fuzz/env.js';
import { targets } from '../test/agent/kubelet-api/fuzz/harness.js';
import { FrameDecoder, HeaderCompressor, HeaderDecompressor, encodeFrame } from '../agent/kubelet-api/spdy/frames.js';

const say = (m: string) => process.stderr.write(`[fuzz ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

/** Cases per turn of a target: the framer is cheap, sessions cost a connection each. */
const BATCH: Record<string, number> = { 'framer: round trip across splits': 200, 'framer: mutated and random bytes': 400 };

function trickleCpuMs(bytes: number): number {
  const frame = encodeFrame({ type: 'data', streamId: 1, fin: false, data: Buffer.alloc(bytes, 1) }, new HeaderCompressor());
  const d = new FrameDecoder(new HeaderDecompressor(), bytes);
  const before = process.cpuUsage();
  let done = false;
  for (let i = 0; i < frame.length; i++) {
    d.push(frame.subarray(i, i + 1));
    if (d.next()) done = true;
  }
  const used = process.cpuUsage(before);
  if (!done) throw new Error('the trickled frame was not decoded');
  return (used.user + used.system) / 1000;
}

const bench: Bench = async () => {
  const seconds = Number(process.env.ECIGW_FUZZ_SECONDS ?? 60);
  const maxIterations = Number(process.env.ECIGW_FUZZ_MAX_ITERATIONS ?? 1_000_000);
  const baseSeed = Number(process.env.ECIGW_FUZZ_SEED ?? randomInt(2 ** 31 - 1));
  if (!(seconds > 0) || !(maxIterations > 0)) throw new Error('ECIGW_FUZZ_SECONDS and ECIGW_FUZZ_MAX_ITERATIONS must be positive numbers');
  say(`${seconds} s or ${maxIterations} iterations, base seed ${baseSeed}`);

  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const env = await startEnv();
  const watch = new CrashWatch();
  watch.start();
  const perTarget = new Map<string, number>();
  const failures: string[] = [];
  let iterations = 0;
  const started = Date.now();
  const deadline = started + seconds * 1000;
  try {
    const all = targets(env);
    for (let turn = 0; Date.now() < deadline && iterations < maxIterations; turn++) {
      for (const [i, t] of all.entries()) {
        const left = deadline - Date.now();
        if (left <= 0 || iterations >= maxIterations) break;
        const seed = (baseSeed + turn * all.length + i) % (2 ** 31 - 1);
        const r = await fc.check(t.property as fc.IAsyncProperty<unknown>, {
          seed,
          numRuns: Math.min(BATCH[t.name] ?? 25, maxIterations - iterations),
          endOnFailure: true,
          interruptAfterTimeLimit: left,
          markInterruptAsFailure: false,
        });
        iterations += r.numRuns;
        perTarget.set(t.name, (perTarget.get(t.name) ?? 0) + r.numRuns);
        // Cut short by the deadline is not a failure (fast-check reports an interrupted run as failed when no case finished).
        if (r.failed && !r.interrupted) {
          const why = `${t.name}: seed ${r.seed} path ${r.counterexamplePath}: ${String(r.errorInstance).slice(0, 300)}`;
          failures.push(why);
          say(`FAILED ${why}`);
        }
      }
    }
  } finally {
    watch.stop();
    await env.close();
  }
  const trickleMs = trickleCpuMs(1 << 20);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  for (const e of watch.seen) say(`uncaught: ${String(e).slice(0, 300)}`);
  say(`${[...perTarget].map(([n, k]) => `${n}: ${k}`).join('; ')}`);
  say(`1 MiB frame trickled one byte at a time: ${trickleMs.toFixed(0)} ms of CPU`);
  return {
    metrics: {
      iterations,
      crashes: failures.length + watch.seen.length,
      peak_rss_mb: peakRss / (1 << 20),
      seconds: (Date.now() - started) / 1000,
      trickle_1mib_cpu_ms: trickleMs,
    },
    targets: {
      iterations: { min: 1 },
      crashes: { max: 0 },
      // The bench process itself (tsx, ws, fast-check) plus every session's bounded buffers.
      peak_rss_mb: { max: 512 },
      trickle_1mib_cpu_ms: { max: 2000 },
    },
  };
};

export default bench;
