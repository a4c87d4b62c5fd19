// The wire contract's checks, and the one build version both sides report.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { CAPABILITIES, METADATA, PROTOCOL_VERSION, missingCapabilities, protocolProblem } from '../../proto/wire.js';
import { BUILD_VERSION } from '../../common/version.js';

test('protocolProblem accepts this build\'s version (number or metadata string) and names both sides otherwise', (t) => {
  t.is(protocolProblem('agent', PROTOCOL_VERSION), undefined);
  t.is(protocolProblem('agent', String(PROTOCOL_VERSION)), undefined);
  t.is(protocolProblem('relay 9.9.9', PROTOCOL_VERSION + 1), `relay 9.9.9 speaks tunnel protocol ${PROTOCOL_VERSION + 1}; this build speaks ${PROTOCOL_VERSION}`);
  t.is(protocolProblem('agent', undefined), `agent speaks tunnel protocol (none); this build speaks ${PROTOCOL_VERSION}`);
  t.is(protocolProblem('agent', ''), `agent speaks tunnel protocol (none); this build speaks ${PROTOCOL_VERSION}`);
});

test('missingCapabilities lists what the peer lacks, in the order required', (t) => {
  t.deepEqual(missingCapabilities(['exec', 'teleport', 'logs', 'warp'], CAPABILITIES), ['teleport', 'warp']);
  t.deepEqual(missingCapabilities([], []), []);
});

test('metadata keys are lower-case ASCII (gRPC metadata) and distinct', (t) => {
  const keys = Object.values(METADATA);
  for (const k of keys) t.regex(k, /^[a-z0-9-]+$/);
  t.is(new Set(keys).size, keys.length);
});

test('the build version is package.json\'s', (t) => {
  t.is(BUILD_VERSION, (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version);
});
