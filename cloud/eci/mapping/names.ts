// Container group naming and identity tags: a deterministic ECI-valid group name from namespace/name, and the
// Tag list (fixed identity keys, tenant tags, then user labels while ECI's 20-tag limit allows).
// ECI name rule: 2-128 chars of [a-z0-9-], not starting/ending with '-'. Tag rule: key 1-128, value 0-128 chars,
// neither may start with `aliyun` or `acs:` nor contain `http://`/`https://`; at most 20 tags per resource.
import { createHash } from 'node:crypto';
import type { Issues } from './types.js';

export const TAG_CLUSTER_ID = 'ecigw.io/cluster-id';
export const TAG_NAMESPACE = 'ecigw.io/namespace';
export const TAG_POD_NAME = 'ecigw.io/pod-name';
export const TAG_POD_UID = 'ecigw.io/pod-uid';
export const IDENTITY_TAG_KEYS = [TAG_CLUSTER_ID, TAG_NAMESPACE, TAG_POD_NAME, TAG_POD_UID] as const;

const MAX_GROUP_NAME = 128;
export const MAX_TAGS = 20;
const MAX_TAG_KEY = 128;
const MAX_TAG_VALUE = 128;
const HASH_LEN = 8;

export function shortHash(text: string, len = HASH_LEN): string {
  return createHash('sha256').update(text).digest('hex').slice(0, len);
}

/** True when `name` satisfies ECI's ContainerGroupName rule. */
export function isValidGroupName(name: string): boolean {
  return name.length >= 2 && name.length <= MAX_GROUP_NAME && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name);
}

/**
 * `<namespace>-<name>` when that is already valid, unambiguous and short enough; otherwise a sanitised, truncated
 * prefix plus `-<8 hex of sha256(namespace/name)>`. A hash is added whenever a character had to be replaced or
 * dropped, the result is too long, or the namespace contains '-' (then `a-b`/`c` and `a`/`b-c` would both give
 * `a-b-c`), so distinct pods get distinct names (up to a 32-bit hash collision).
 */
export function groupNameFor(namespace: string, name: string): string {
  const raw = `${namespace}-${name}`;
  const sanitised = raw.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+/, '').replace(/-+$/, '');
  const needsHash = sanitised !== raw || namespace.includes('-') || raw.length > MAX_GROUP_NAME || raw.length < 2;
  if (!needsHash) return raw;
  const suffix = shortHash(`${namespace}/${name}`);
  const room = MAX_GROUP_NAME - HASH_LEN - 1;
  const prefix = sanitised.slice(0, room).replace(/-+$/, '');
  return prefix ? `${prefix}-${suffix}` : `g-${suffix}`;
}

/** Why a tag key/value is unacceptable to ECI, or undefined when it is fine. */
export function tagProblem(key: string, value: string): string | undefined {
  if (key.length === 0 || key.length > MAX_TAG_KEY) return `tag key must be 1-${MAX_TAG_KEY} characters`;
  if (value.length > MAX_TAG_VALUE) return `tag value must be at most ${MAX_TAG_VALUE} characters`;
  for (const [what, s] of [['key', key], ['value', value]] as const) {
    const lower = s.toLowerCase();
    if (lower.startsWith('aliyun') || lower.startsWith('acs:')) return `tag ${what} must not start with "aliyun" or "acs:"`;
    if (lower.includes('http://') || lower.includes('https://')) return `tag ${what} must not contain "http://" or "https://"`;
  }
  return undefined;
}

/** Fits an identity value into a tag value: unchanged when short enough, else truncated with a hash suffix. */
export function fitTagValue(value: string): string {
  if (value.length <= MAX_TAG_VALUE) return value;
  return `${value.slice(0, MAX_TAG_VALUE - HASH_LEN - 1)}-${shortHash(value)}`;
}

interface TagPair {
  key: string;
  value: string;
}

interface TagSources {
  clusterId: string;
  namespace: string;
  podName: string;
  podUid: string;
  tenantTags?: Record<string, string>;
  labels?: Record<string, string>;
}

/** Identity tags first, then tenant tags (errors if they do not fit), then labels while room remains (warnings). */
export function buildTags(src: TagSources, issues: Issues): TagPair[] {
  const tags: TagPair[] = [
    { key: TAG_CLUSTER_ID, value: fitTagValue(src.clusterId) },
    { key: TAG_NAMESPACE, value: fitTagValue(src.namespace) },
    { key: TAG_POD_NAME, value: fitTagValue(src.podName) },
    { key: TAG_POD_UID, value: fitTagValue(src.podUid) },
  ];
  if (src.podName.length > MAX_TAG_VALUE) {
    issues.warn(`pod name is longer than ECI's ${MAX_TAG_VALUE}-character tag value limit; tag ${TAG_POD_NAME} holds a truncated, hashed form`);
  }
  const used = new Set<string>(tags.map((t) => t.key));
  for (const [key, value] of Object.entries(src.tenantTags ?? {})) {
    const problem = tagProblem(key, value);
    if (problem) { issues.error(`tenant.tags[${key}]`, `tenant tag ${key} is not a valid ECI tag: ${problem}; fix the tenant configuration`); continue; }
    if (used.has(key)) { issues.error(`tenant.tags[${key}]`, `tenant tag ${key} collides with a reserved identity tag; rename it`); continue; }
    if (tags.length >= MAX_TAGS) { issues.error(`tenant.tags[${key}]`, `tenant has more tags than ECI allows (${MAX_TAGS} per instance, 4 reserved for identity); remove some`); continue; }
    tags.push({ key, value });
    used.add(key);
  }
  const skipped: string[] = [];
  for (const [key, value] of Object.entries(src.labels ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    if (used.has(key)) continue;
    const problem = tagProblem(key, value);
    if (problem) { issues.warn(`label ${key} is not copied to an ECI tag: ${problem}`); continue; }
    if (tags.length >= MAX_TAGS) { skipped.push(key); continue; }
    tags.push({ key, value });
    used.add(key);
  }
  if (skipped.length > 0) {
    issues.warn(`ECI allows ${MAX_TAGS} tags per instance; ${skipped.length} label(s) not copied to tags: ${skipped.join(', ')}`);
  }
  return tags;
}
