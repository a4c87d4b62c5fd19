// GroupApi's paged listing against the emulator (unmodified SDK): a listing by tags comes a page at a time,
// every group exactly once, and only this scope's groups.
import test from 'ava';
import { startEmulator, type EmulatorHandle } from '../../../../cloud/eci-emulator/index.js';
import { GroupApi } from '../../../../cloud/eci/provider/groups.js';
import { scopeTags } from '../../../../cloud/eci/provider/identity.js';
import { callerFor, intentOf, providerFor, scopeOf, uidOf } from './fixtures.js';

let emu: EmulatorHandle;
test.before(async () => {
  emu = await startEmulator({ runtime: 'simulated', config: { rateLimitsEnabled: false } });
});
test.after.always(() => emu?.close());

test('pagesByTags yields pages of at most the page size, each of the scope\'s groups once', async (t) => {
  const scope = scopeOf('t-pages', 'cluster-pages');
  const other = scopeOf('t-pages', 'cluster-other');
  const p = providerFor(emu);
  t.teardown(() => p.close());
  await Promise.all(Array.from({ length: 45 }, (_, i) => p.apply(scope, intentOf(uidOf(i, 'aaaaaaaa'), 1))));
  await Promise.all(Array.from({ length: 3 }, (_, i) => p.apply(other, intentOf(uidOf(i, 'bbbbbbbb'), 1))));
  const api = new GroupApi(callerFor(emu, 't-pages'), 20);
  const sizes: number[] = [];
  const ids = new Set<string>();
  for await (const page of api.pagesByTags(scopeTags(scope))) {
    sizes.push(page.length);
    for (const g of page) ids.add(g.containerGroupId ?? '');
  }
  t.deepEqual(sizes, [20, 20, 5]);
  t.is(ids.size, 45, 'no group twice, none of the other cluster\'s');
});
