// Bounded fuzz run of the kubelet API in `npm test` (fixed seed, modest runs; the long run is
// `npm run bench -- fuzz`): the SPDY framer, the SPDY session serving exec, the WebSocket channel handler
// and the port-forward handler (SPDY and WebSocket), with generated and mutated input. Fails on any broken
// property and on any uncaught exception or unhandled rejection while the targets run.
import test from 'ava';
import fc from 'fast-check';
import { CrashWatch, startEnv } from './env.js';
import { targets } from './harness.js';

const seed = Number(process.env.ECIGW_FUZZ_SEED ?? 20_251_204);
const runs: Record<string, number> = {
  'framer: round trip across splits': 150,
  'framer: mutated and random bytes': 300,
  'SPDY session serving exec': 40,
  'WebSocket channels serving exec': 25,
  'port-forward over SPDY': 40,
  'port-forward over WebSocket': 25,
};

const env = await startEnv();
const watch = new CrashWatch();
test.before(() => watch.start());
test.after.always(async () => {
  watch.stop();
  await env.close();
});

for (const target of targets(env)) {
  test.serial(`fuzz: ${target.name} (seed ${seed})`, async (t) => {
    const before = watch.seen.length;
    await fc.assert(target.property as fc.IAsyncProperty<unknown>, { seed, numRuns: runs[target.name] ?? 20, endOnFailure: true });
    t.deepEqual(watch.seen.slice(before).map(String), [], 'no uncaught exception or unhandled rejection');
  });
}
