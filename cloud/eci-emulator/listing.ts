// What the emulator's Describe* listings share: a tag filter as ECI applies it (an empty value matches any value of
// the key) and paging newest first by an opaque NextToken (the last sequence number returned, base64url). Pure.
import { EciError } from './errors.js';

interface Tag {
  key: string;
  value: string;
}

/** Whether `have` carries every tag of `want` (a wanted tag with an empty value matches any value of its key). */
export const hasTags = (have: readonly Tag[], want: readonly Tag[]): boolean => want.every((t) => have.some((x) => x.key === t.key && (t.value === '' || x.value === t.value)));

/** `matches` newest first (highest `seq`), the page after `nextToken`, at most `limit`; ECI's error for a bad token. */
export function pageNewestFirst<T extends { seq: number }>(matches: T[], limit: number, nextToken?: string): { items: T[]; total: number; nextToken: string } {
  let cursor = Infinity;
  if (nextToken) {
    const decoded = /^[A-Za-z0-9_-]{1,16}$/.test(nextToken) ? Buffer.from(nextToken, 'base64url').toString('utf8') : '';
    const n = /^\d{1,15}$/.test(decoded) ? Number(decoded) : -1;
    if (n < 0) throw new EciError(400, 'InvalidParameter.NextToken', 'The specified NextToken is not valid.');
    cursor = n;
  }
  const sorted = [...matches].sort((a, b) => b.seq - a.seq);
  const after = sorted.filter((m) => m.seq < cursor);
  const items = after.slice(0, limit);
  return { items, total: matches.length, nextToken: after.length > items.length ? Buffer.from(String(items[items.length - 1].seq)).toString('base64url') : '' };
}
