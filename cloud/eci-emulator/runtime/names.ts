// Name resolution of a container group in the process runtime. A real ECI group gets its own /etc/hosts
// (localhost, `<group IP> <hostname>`, then the HostAliases) and /etc/resolv.conf (DnsPolicy Default: the VPC
// resolver with DnsConfig appended; None: DnsConfig only). Here both are written to `<group dir>/etc/`, and a
// group that asks for any of it runs its processes in a private mount namespace in which the two files are
// bind-mounted over /etc/hosts and /etc/resolv.conf (needs root and util-linux `unshare`; the host's own files
// never change). Pure formatting (nameFiles) is apart from the file system and the namespace.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { GroupSpec } from '../model.js';

/** The resolver's limits, as kubelet applies them when it forms a pod's resolv.conf (glibc reads at most 3 nameservers). */
export const RESOLV_LIMITS = { nameServers: 3, searches: 32, searchChars: 2048, domainChars: 253 } as const;

type NameSpec = Pick<GroupSpec, 'name' | 'hostName' | 'hostAliases' | 'dnsConfig' | 'dnsPolicy'>;

/** Whether a group asks for names of its own: then its processes run in the private mount namespace. */
export const wantsOwnNames = (s: NameSpec): boolean => s.hostAliases.length > 0 || s.dnsConfig !== undefined || s.dnsPolicy === 'None';

const HOST_NAME = /^[^\s\p{Cc}#]{1,253}$/u;
const TOKEN = /^[^\s\p{Cc}]+$/u;
const TAB = '\t';

/** `::1`, `0:0::1`, ... -> `::1`; IPv4 (and what URL cannot parse, e.g. a zone id) as is. */
function canonicalIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip;
  }
}

/**
 * The contents of the group's /etc/hosts and /etc/resolv.conf, and a warning for everything left out (over a
 * limit, or not fit for the file: validate.ts refuses such input on the API, this is the last line).
 * A DnsConfig nameserver 127.0.0.1 or ::1 means "a DNS server in this group" on ECI, where each group has its own
 * loopback; groups share the host's loopback here, so it is written as the group's IP.
 */
export function nameFiles(s: NameSpec, groupIp: string, hostNameServers: string[]): { hosts: string; resolv: string; warnings: string[] } {
  const warnings: string[] = [];
  const hostname = s.hostName ?? s.name;
  const hosts = [
    '# Container group hosts file (written by the ECI emulator).',
    `127.0.0.1${TAB}localhost`,
    `::1${TAB}localhost ip6-localhost ip6-loopback`,
    `fe00::0${TAB}ip6-localnet`,
    `fe00::0${TAB}ip6-mcastprefix`,
    `fe00::1${TAB}ip6-allnodes`,
    `fe00::2${TAB}ip6-allrouters`,
  ];
  if (HOST_NAME.test(hostname)) hosts.push(`${groupIp}${TAB}${hostname}`);
  else warnings.push(`host name "${hostname}" is not fit for /etc/hosts and was left out`);
  if (s.hostAliases.length) hosts.push('', '# Entries added by HostAliases.');
  for (const a of s.hostAliases) {
    const names = a.hostnames.filter((n) => HOST_NAME.test(n));
    if (!isIP(a.ip) || names.length !== a.hostnames.length) warnings.push(`HostAliase ${a.ip} ${a.hostnames.join(' ')}: ${isIP(a.ip) ? 'names not fit for /etc/hosts were left out' : 'not an IP address, left out'}`);
    if (isIP(a.ip) && names.length) hosts.push([a.ip, ...names].join(TAB));
  }

  const cfg = s.dnsConfig ?? { nameServers: [], searches: [], options: [] };
  const policy = s.dnsPolicy ?? 'Default';
  const own = cfg.nameServers.map((ns) => (isIP(ns) && ['127.0.0.1', '::1'].includes(canonicalIp(ns)) ? groupIp : ns));
  let nameServers = [...new Set([...(policy === 'Default' ? hostNameServers : []), ...own])].filter((ns) => {
    if (isIP(ns)) return true;
    warnings.push(`nameserver "${ns}" is not an IP address and was left out`);
    return false;
  });
  if (nameServers.length > RESOLV_LIMITS.nameServers) {
    nameServers = nameServers.slice(0, RESOLV_LIMITS.nameServers);
    warnings.push(`Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${nameServers.join(' ')}`);
  }
  const searches = fitSearches([...new Set(cfg.searches)], warnings);
  const options = new Map<string, string>();
  for (const o of cfg.options) {
    const line = o.value === undefined || o.value === '' ? o.name : `${o.name}:${o.value}`;
    if (TOKEN.test(line)) options.set(o.name, line);
    else warnings.push(`option "${line}" is not fit for /etc/resolv.conf and was left out`);
  }
  const resolv = [
    `# Container group resolv.conf (written by the ECI emulator; DnsPolicy ${policy}${policy === 'Default' ? ": the host's nameservers, then DnsConfig's" : ': DnsConfig only'}).`,
    ...nameServers.map((ns) => `nameserver ${ns}`),
    ...(searches.length ? [`search ${searches.join(' ')}`] : []),
    ...(options.size ? [`options ${[...options.values()].join(' ')}`] : []),
  ];
  return { hosts: `${hosts.join('\n')}\n`, resolv: `${resolv.join('\n')}\n`, warnings };
}

/** At most 32 search domains, none over 253 characters, 2048 characters in all (cut from the end), as kubelet does. */
function fitSearches(domains: string[], warnings: string[]): string[] {
  let out = domains.filter((d) => TOKEN.test(d));
  let exceeded = out.length !== domains.length;
  if (out.length > RESOLV_LIMITS.searches) {
    out = out.slice(0, RESOLV_LIMITS.searches);
    exceeded = true;
  }
  const fit = out.filter((d) => d.length <= RESOLV_LIMITS.domainChars);
  exceeded ||= fit.length !== out.length;
  out = fit;
  while (out.join(' ').length > RESOLV_LIMITS.searchChars) {
    out.pop();
    exceeded = true;
  }
  if (exceeded) warnings.push(`Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${out.join(' ')}`);
  return out;
}

/** The nameservers of the host's own /etc/resolv.conf: the emulator's stand-in for the VPC resolver. */
export function hostNameServers(file = '/etc/resolv.conf'): string[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').flatMap((l) => {
    const m = /^\s*nameserver\s+(\S+)/.exec(l);
    return m && isIP(m[1]) ? [m[1]] : [];
  });
}

/** Where a group's files are: `<group dir>/etc/hosts` and `<group dir>/etc/resolv.conf` (absolute). */
export interface NameFilePaths {
  hosts: string;
  resolv: string;
}

/** Writes the two files (in place, so processes that already see them through a bind mount see the new content). */
export function writeNameFiles(groupDir: string, content: { hosts: string; resolv: string }): NameFilePaths {
  const dir = resolve(groupDir, 'etc');
  mkdirSync(dir, { recursive: true });
  const paths = { hosts: join(dir, 'hosts'), resolv: join(dir, 'resolv.conf') };
  writeFileSync(paths.hosts, content.hosts, { mode: 0o644 });
  writeFileSync(paths.resolv, content.resolv, { mode: 0o644 });
  return paths;
}

/** The programs that build the namespace, or why there is none. */
export type NameNamespace = { ok: true; unshare: string; mount: string; sh: string } | { ok: false; reason: string };

// The bind mounts, then `exec` the command: the spawned pid (unshare execs sh, sh execs the command) stays the
// container's, so process-group signals and kill-on-exit are unchanged. Everything comes in as argv ($1 mount,
// $2 hosts, $3 resolv.conf, then the command), nothing is put into the script's text.
const BIND_AND_EXEC = '"$1" --bind "$2" /etc/hosts && "$1" --bind "$3" /etc/resolv.conf && shift 3 && exec "$@"';

/** argv that runs `argv` in a new private mount namespace where the group's files are /etc/hosts and /etc/resolv.conf. */
export function inOwnNames(ns: { unshare: string; mount: string; sh: string }, files: NameFilePaths, argv: string[]): string[] {
  return [ns.unshare, '--mount', '--propagation', 'private', '--', ns.sh, '-c', BIND_AND_EXEC, 'sh', ns.mount, files.hosts, files.resolv, ...argv];
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Whether `cmd` names an executable file, looked up as execvp does (a name with a slash against cwd, else PATH). */
export function findExecutable(cmd: string, cwd: string, path: string | undefined): string | undefined {
  if (cmd.includes('/')) {
    const p = resolve(cwd, cmd);
    return isExecutable(p) ? p : undefined;
  }
  for (const dir of (path ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const p = resolve(cwd, dir || '.', cmd);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

let probed: NameNamespace | undefined;

/**
 * Whether this host can give a group its own /etc/hosts and /etc/resolv.conf: root, `unshare`, `mount` and `sh`,
 * and a trial run that binds two files and reads them back. Decided once per process.
 */
export function nameNamespace(): NameNamespace {
  probed ??= probeNamespace();
  return probed;
}

function probeNamespace(): NameNamespace {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'the emulator does not run as root' };
  const path = `${process.env.PATH ?? ''}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
  const sh = isExecutable('/bin/sh') ? '/bin/sh' : findExecutable('sh', '/', path);
  const unshare = findExecutable('unshare', '/', path);
  const mount = findExecutable('mount', '/', path);
  if (!unshare || !mount || !sh) return { ok: false, reason: `${!unshare ? 'unshare (util-linux)' : !mount ? 'mount' : 'sh'} is not installed` };
  const ns = { ok: true as const, unshare, mount, sh };
  const dir = mkdtempSync(join(tmpdir(), 'eci-emulator-names-'));
  try {
    const files = writeNameFiles(dir, { hosts: 'probe-hosts\n', resolv: 'probe-resolv\n' });
    const argv = inOwnNames(ns, files, [sh, '-c', 'cat /etc/hosts /etc/resolv.conf']);
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status === 0 && r.stdout === 'probe-hosts\nprobe-resolv\n') return ns;
    return { ok: false, reason: `a trial private mount namespace failed: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
