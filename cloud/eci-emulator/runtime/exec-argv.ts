// The host argv of an exec in the process runtime (pure). Absolute mount paths are rewritten to the group's
// root like everywhere else, with one exception: `tar` creating an archive names its members after its path
// arguments, so a rewritten path would leak the host directory into every member name (and `kubectl cp`, which
// checks the names, rejects the archive). For tar create, a path under the group root is passed as
// `-C <groupRoot> <relative path>`, giving the member names a container would produce (data/report.txt).
import { basename } from 'node:path';

/** Whether the first argument of tar asks for create: `cf`, `-czf`, `-c`, `--create`. */
function tarCreates(args: string[]): boolean {
  const first = args[0] ?? '';
  if (first === '--create') return true;
  if (first.startsWith('--')) return false;
  return /^-?[A-Za-z]*c/.test(first);
}

/** Whether the first argument bundles `f` (its value is the next argument: the archive, not a member). */
function bundlesArchive(args: string[]): boolean {
  const first = args[0] ?? '';
  return !first.startsWith('--') && /^-?[A-Za-z]*f[A-Za-z]*$/.test(first);
}

export function execArgv(command: string[], rewrite: (s: string) => string, groupRoot: string): string[] {
  const argv = command.map(rewrite);
  if (basename(command[0] ?? '') !== 'tar' || !tarCreates(command.slice(1))) return argv;
  const out = [argv[0], argv[1]];
  const firstMember = bundlesArchive(command.slice(1)) ? 3 : 2;
  if (firstMember === 3 && argv.length > 2) out.push(argv[2]);
  for (let i = firstMember; i < argv.length; i++) {
    const original = command[i];
    const host = argv[i];
    if (original.startsWith('/') && host !== original && host.startsWith(`${groupRoot}/`)) out.push('-C', groupRoot, host.slice(groupRoot.length + 1));
    else out.push(host);
  }
  return out;
}
