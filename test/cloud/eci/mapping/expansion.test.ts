import test from 'ava';
import { expandVars, referencedVars } from '../../../../cloud/eci/mapping/expansion.js';

const env: Record<string, string> = { A: 'a', EMPTY: '', NESTED: '$(A)' };
const look = (n: string) => env[n];

const CASES: Array<[string, string]> = [
  ['plain', 'plain'], ['$(A)', 'a'], ['x$(A)y$(A)', 'xaya'], ['$(EMPTY)-', '-'],
  ['$(MISSING)', '$(MISSING)'], ['$$(A)', '$(A)'], ['$$$(A)', '$a'], ['$(A', '$(A'], ['$', '$'], ['a$', 'a$'],
  ['$x', '$x'], ['$()', '$()'], ['$(NESTED)', '$(A)'], ['((A))', '((A))'], ['$(A)$(A)', 'aa'],
];
for (const [input, want] of CASES) {
  test(`expand ${JSON.stringify(input)}`, (t) => { t.is(expandVars(input, look), want); });
}

test('referencedVars lists $(NAME) references, skipping escapes', (t) => {
  t.deepEqual(referencedVars('$(POD_IP):$(PORT) $$(NOT)'), ['POD_IP', 'PORT']);
});

test('expansion never throws, leaves dollar-free strings alone, and is the identity with no variables (fuzz)', (t) => {
  const alphabet = '$()AB x';
  let seed = 5;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  for (let i = 0; i < 3000; i++) {
    const s = Array.from({ length: rnd(12) }, () => alphabet[rnd(alphabet.length)]).join('');
    const out = expandVars(s, () => undefined);
    if (!s.includes('$')) t.is(out, s);
    if (!s.includes('$$')) t.is(out, s, `no-op lookup must keep ${JSON.stringify(s)}`);
    t.is(typeof expandVars(s, (n) => n.toLowerCase()), 'string');
  }
});
