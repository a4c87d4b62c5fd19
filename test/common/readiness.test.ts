// renderReadiness: one line per check in kube-apiserver's verbose /readyz form, informative lines, then the
// verdict; 503 as soon as one check fails.
import test from 'ava';
import { renderReadiness } from '../../common/readiness.js';

const cases: [string, Parameters<typeof renderReadiness>[0], 200 | 503, string][] = [
  ['all pass', { checks: [{ name: 'a', ok: true, detail: 'fine' }], info: { role: 'x' } }, 200, '[+]a ok: fine\nrole: x\nreadyz check passed\n'],
  ['one fails', { checks: [{ name: 'a', ok: true, detail: 'fine' }, { name: 'b', ok: false, detail: 'down' }] }, 503, '[+]a ok: fine\n[-]b failed: down\nreadyz check failed\n'],
  ['no checks is ready', { checks: [] }, 200, 'readyz check passed\n'],
];
for (const [name, report, status, body] of cases) {
  test(name, (t) => {
    t.deepEqual(renderReadiness(report), { status, body });
  });
}
