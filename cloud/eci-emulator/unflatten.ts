// Un-flattens the SDK's "repeatList" query parameters (`Container.1.EnvironmentVar.2.Key=v`) into a tree:
// numeric segments become arrays ordered by index (gaps allowed, compacted), other segments become objects.
// Pure and input-agnostic: conflicting shapes (`A=1` and `A.B=2`) raise FlattenError instead of losing data.

export type FlatTree = string | FlatTree[] | { [key: string]: FlatTree };

export class FlattenError extends Error {
  constructor(readonly key: string, message: string) {
    super(message);
    this.name = 'FlattenError';
  }
}

const INDEX = /^[1-9][0-9]{0,5}$/;
const MAX_DEPTH = 12;

interface Node {
  value?: string;
  children?: Map<string, Node>;
}

export function unflatten(params: Iterable<[string, string]>): { [key: string]: FlatTree } {
  const root: Node = { children: new Map() };
  for (const [key, value] of params) {
    const segments = key.split('.');
    if (segments.length > MAX_DEPTH) throw new FlattenError(key, `parameter "${key}" is nested too deeply`);
    if (segments.some((s) => s === '')) throw new FlattenError(key, `parameter "${key}" has an empty path segment`);
    let node = root;
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i];
      if (node.value !== undefined) throw new FlattenError(key, `parameter "${key}" conflicts with a scalar value at "${segments.slice(0, i).join('.')}"`);
      node.children ??= new Map();
      let next = node.children.get(seg);
      if (!next) {
        next = {};
        node.children.set(seg, next);
      }
      node = next;
    }
    if (node.children) throw new FlattenError(key, `parameter "${key}" conflicts with nested parameters under it`);
    node.value = value; // a repeated key keeps the last value, like URLSearchParams.get would not; documented
  }
  return toTree(root, '') as { [key: string]: FlatTree };
}

function toTree(node: Node, path: string): FlatTree {
  if (node.value !== undefined) return node.value;
  const children = node.children ?? new Map<string, Node>();
  const keys = [...children.keys()];
  if (keys.length > 0 && keys.every((k) => INDEX.test(k))) {
    return keys
      .map((k) => [Number(k), k] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, k]) => toTree(children.get(k)!, path ? `${path}.${k}` : k));
  }
  const out = Object.create(null) as { [key: string]: FlatTree };
  for (const k of keys) out[k] = toTree(children.get(k)!, path ? `${path}.${k}` : k);
  return out;
}
