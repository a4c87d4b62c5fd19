// README stays true: its quick start is the two commands, its test command is what .ci/run runs, and its
// configuration reference matches the CLIs' declared fields (regenerate with `npm run docs:config`).
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { render, README } from '../scripts/config-docs.js';

const readme = readFileSync(README, 'utf8');

test('the configuration reference matches the CLIs (npm run docs:config)', (t) => {
  t.is(render(readme), readme);
});

test('the quick start opens with the demo and the test command; .ci/run runs the latter', (t) => {
  const quick = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('##', readme.indexOf('## Quick start') + 5));
  t.regex(quick, /npm run demo/);
  t.regex(quick, /npm test/);
  const ci = readFileSync(fileURLToPath(new URL('../.ci/run', import.meta.url)), 'utf8');
  t.regex(ci, /^npm test$/m);
});

test('every repository path the README names exists (moves keep "follow a pod intent by folder" and the folder table true)', (t) => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const paths = [...readme.matchAll(/`((?:agent|cloud|common|proto|test|bench|demo|charts|scripts|bin)\/[^`\s<>]*)`/g)].map((m) => m[1]);
  t.true(paths.length > 20, `only ${paths.length} paths found`);
  t.deepEqual(paths.filter((p) => !existsSync(root + p)), []);
});
