// Kubelet-compatible `$(VAR)` expansion for env values, command and args (same rules as Kubernetes'
// third_party/forked/golang/expansion): `$(NAME)` -> value when defined, else left as is; `$$` -> `$`.
// Done here because ECI receives already-final strings; variables ECI fills at runtime stay unexpanded.

/** Expands `$(NAME)` references using `lookup`; unknown names are kept verbatim. */
export function expandVars(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    let advance = 1;
    if (rest[0] === '$') {
      out += '$';
    } else if (rest[0] === '(') {
      const close = rest.indexOf(')', 1);
      if (close === -1) {
        out += '$(';
      } else {
        const name = rest.slice(1, close);
        const value = lookup(name);
        out += value ?? `$(${name})`;
        advance = close + 1;
      }
    } else {
      out += `$${rest[0]}`;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/** Names referenced as `$(NAME)` (after `$$` escapes are removed). */
export function referencedVars(input: string): string[] {
  const names: string[] = [];
  expandVars(input, (n) => { names.push(n); return undefined; });
  return names;
}
