// Small matchers the policy shares: the registry host of an image reference (Docker's normalisation: the first
// path component is a registry only if it has a '.' or ':' or is `localhost`; otherwise Docker Hub), registry
// patterns (`host[:port]`, `*.domain`, `*`) and `*` wildcards for instance types. Pure.

const DOCKER_HUB = 'docker.io';

/** The registry host[:port] an image is pulled from, lower-cased (`nginx` → `docker.io`). */
export function registryOf(image: string): string {
  const ref = image.trim();
  const slash = ref.indexOf('/');
  if (slash < 0) return DOCKER_HUB;
  const first = ref.slice(0, slash);
  if (first.includes('.') || first.includes(':') || first === 'localhost') return first.toLowerCase();
  return DOCKER_HUB;
}

/** `*` any registry; `*.example.com` any sub-domain of example.com (any port); otherwise the exact host[:port]. */
export function registryAllowed(host: string, patterns: readonly string[]): boolean {
  const h = host.toLowerCase();
  const bare = h.replace(/:\d+$/, '');
  return patterns.some((p) => {
    const q = p.toLowerCase();
    if (q === '*') return true;
    if (q.startsWith('*.')) return bare.endsWith(q.slice(1)) && bare.length > q.length - 1;
    return q === h || (q === DOCKER_HUB && (h === 'index.docker.io' || h === 'registry-1.docker.io'));
  });
}

/** `*` matches any run of characters; everything else literally (case-sensitive, as ECI's type names). */
export function wildcardMatch(value: string, pattern: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}
