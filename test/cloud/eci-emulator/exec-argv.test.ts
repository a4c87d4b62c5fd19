// The process runtime's exec argv: mount paths rewritten to the group root, and tar create run from the
// group root so member names are a container's (what kubectl cp checks).
import test from 'ava';
import { execArgv } from '../../../cloud/eci-emulator/runtime/exec-argv.js';

const ROOT = '/var/emu/g1/fs';
const rewrite = (s: string) => s.replace(/^\/data(?=\/|$)/, `${ROOT}/data`);

const cases: [string, string[], string[]][] = [
  ['other commands: plain rewrite', ['cat', '/data/a.txt'], ['cat', `${ROOT}/data/a.txt`]],
  ['kubectl cp from a pod: tar cf - <abs>', ['tar', 'cf', '-', '/data/report.txt'], ['tar', 'cf', '-', '-C', ROOT, 'data/report.txt']],
  ['dash form with gzip', ['tar', '-czf', '-', '/data/dir'], ['tar', '-czf', '-', '-C', ROOT, 'data/dir']],
  ['archive written into a mount stays rewritten, members go relative', ['tar', 'cf', '/data/out.tar', '/data/dir'], ['tar', 'cf', `${ROOT}/data/out.tar`, '-C', ROOT, 'data/dir']],
  ['--create without f', ['tar', '--create', '/data/x'], ['tar', '--create', '-C', ROOT, 'data/x']],
  ['paths outside the mounts are left to tar', ['tar', 'cf', '-', '/etc/hosts'], ['tar', 'cf', '-', '/etc/hosts']],
  ['extract (kubectl cp into a pod): plain rewrite', ['tar', '-xmf', '-', '-C', '/data/in'], ['tar', '-xmf', '-', '-C', `${ROOT}/data/in`]],
  ['list: plain rewrite', ['tar', 'tf', '/data/a.tar'], ['tar', 'tf', `${ROOT}/data/a.tar`]],
  ['tar by path', ['/bin/tar', 'cf', '-', '/data/r'], ['/bin/tar', 'cf', '-', '-C', ROOT, 'data/r']],
  ['not tar', ['star', 'cf', '-', '/data/r'], ['star', 'cf', '-', `${ROOT}/data/r`]],
];

for (const [name, command, want] of cases) test(name, (t) => t.deepEqual(execArgv(command, rewrite, ROOT), want));
