// The committed proto/gen types must equal a fresh `proto/generate.sh` run, and the loaded package
// must expose every RPC of the Tunnel service with the documented load options.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOAD_OPTIONS, tunnelServiceDefinition } from '../../proto/load.js';
import { PROTOCOL_VERSION } from '../../proto/wire.js';

const protoDir = fileURLToPath(new URL('../../proto/', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

test('regenerating proto/gen produces identical output', (t) => {
  const out = mkdtempSync(join(tmpdir(), 'ecigw-gen-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  execFileSync(join(protoDir, 'generate.sh'), [join(out, 'gen')]);
  const committed = join(protoDir, 'gen');
  const a = files(committed).map((p) => relative(committed, p)).sort();
  const b = files(join(out, 'gen')).map((p) => relative(join(out, 'gen'), p)).sort();
  t.deepEqual(b, a, 'same file set');
  for (const f of a) t.is(readFileSync(join(out, 'gen', f), 'utf8'), readFileSync(join(committed, f), 'utf8'), `${f} drifted: run proto/generate.sh`);
});

test('the loaded service has every RPC with the right streaming shape', (t) => {
  const shape = Object.fromEntries(Object.entries(tunnelServiceDefinition).map(([k, m]) => [k, `${m.requestStream ? 'stream' : 'unary'}->${m.responseStream ? 'stream' : 'unary'}`]));
  t.like(shape, {
    Handshake: 'unary->unary',
    ApplyPod: 'unary->unary',
    DeletePod: 'unary->unary',
    GetPod: 'unary->unary',
    ListPods: 'unary->unary',
    Reconcile: 'unary->unary',
    WatchStatus: 'unary->stream',
    Exec: 'stream->stream',
    Attach: 'stream->stream',
    Logs: 'unary->stream',
    PortForward: 'stream->stream',
    Stats: 'unary->unary',
  });
  t.is(PROTOCOL_VERSION, 1);
  t.is(LOAD_OPTIONS.longs, Number);
  t.is(tunnelServiceDefinition.ApplyPod.path, '/ecigw.tunnel.v1.Tunnel/ApplyPod');
});

test('round trip: int64 as Number, oneof name, defaults', (t) => {
  const m = tunnelServiceDefinition.WatchStatus.responseSerialize({ epoch: 'e', seq: 2 ** 40, pod: { uid: 'u', statusVersion: 7 } });
  const back = tunnelServiceDefinition.WatchStatus.responseDeserialize(m) as unknown as { seq: number; event: string; pod: { statusVersion: number; gone: boolean } };
  t.is(back.seq, 2 ** 40);
  t.is(back.event, 'pod');
  t.is(back.pod.statusVersion, 7);
  t.is(back.pod.gone, false);
});
