// Intent validation: fuzzed inputs only ever yield a ValidationError (never a crash), and valid
// intents pass unchanged.
import test from 'ava';
import { randomBytes, randomUUID } from 'node:crypto';
import { ValidationError, validateIntent } from '../../../cloud/relay/validate.js';
import type { PodIntent } from '../../../cloud/pod-provider/provider.js';

const valid = (): PodIntent => {
  const uid = randomUUID();
  return {
    uid,
    generation: 1,
    podJson: Buffer.from(JSON.stringify({ metadata: { name: 'x', uid } })),
    volumes: { cfg: { files: [{ path: 'a/b.conf', content: Buffer.from('k=v'), mode: 0o644 }] } },
    env: {},
    imagePullCredentials: [{ server: 'registry.example.com', username: 'u', password: 'p' }],
    serviceAccountToken: Buffer.alloc(0),
  };
};

test('a valid intent passes', (t) => {
  const i = valid();
  t.is(validateIntent(i), i);
});

test('fuzz: random mutations only produce ValidationError', (t) => {
  const junk = () => [randomBytes(8).toString('latin1'), '', '..', '/abs', -1, 0, 1.5, 2 ** 60, null, {}, [], Buffer.from('{'), Buffer.from('[]'), Buffer.from('null')][Math.floor(Math.random() * 14)];
  const fields = ['uid', 'generation', 'podJson'] as const;
  let rejected = 0;
  for (let i = 0; i < 2000; i++) {
    const intent = valid() as unknown as Record<string, unknown>;
    intent[fields[i % fields.length]] = junk();
    if (i % 7 === 0) (intent.volumes as Record<string, { files: { path: unknown; mode: unknown }[] }>).cfg.files[0].path = junk();
    if (i % 11 === 0) (intent.volumes as Record<string, { files: { path: unknown; mode: unknown }[] }>).cfg.files[0].mode = 0o70000;
    try {
      validateIntent(intent as unknown as PodIntent);
    } catch (e) {
      t.true(e instanceof ValidationError, `unexpected ${(e as Error).name}: ${(e as Error).message}`);
      rejected++;
    }
  }
  t.true(rejected > 1000);
});
