// Per-group filesystem and environment of the process runtime. Layout under <dataDir>/<groupId>/:
//   volumes/<name>/ (emptyDir and config-file volumes), etc/hosts and etc/resolv.conf (the group's names, written
//   by names.ts), fs/ (the group root: every absolute mount path and
//   working dir is materialised as fs/<path>, mounts as symlinks to their volume). Absolute mount paths in a
//   container's command, args and env values are rewritten to fs/<path>; env ECI_GROUP_ROOT points at fs/.
import { mkdirSync, rmSync, symlinkSync, writeFileSync, existsSync, lstatSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ContainerSpec, GroupRecord } from '../model.js';
import { findExecutable, inOwnNames, type NameFilePaths } from './names.js';

export interface Sandbox {
  root: string;
  fsRoot: string;
}

export function prepareSandbox(dataDir: string, g: GroupRecord): Sandbox {
  const root = join(dataDir, g.id);
  const fsRoot = join(root, 'fs');
  mkdirSync(fsRoot, { recursive: true });
  for (const v of g.spec.volumes) {
    const dir = join(root, 'volumes', v.name);
    mkdirSync(dir, { recursive: true });
    for (const f of v.configFiles ?? []) {
      const file = join(dir, f.path);
      if (!file.startsWith(dir + '/')) continue;
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, Buffer.from(f.content, 'base64'), { mode: f.mode ?? v.configDefaultMode ?? 0o644 });
    }
  }
  for (const c of [...g.spec.initContainers, ...g.spec.containers]) linkMounts({ root, fsRoot }, c);
  return { root, fsRoot };
}

function linkMounts(sb: Sandbox, c: ContainerSpec): void {
  for (const m of c.volumeMounts) {
    const link = join(sb.fsRoot, m.mountPath);
    if (!link.startsWith(sb.fsRoot + '/')) continue;
    let target = join(sb.root, 'volumes', m.name, m.subPath ?? '');
    if (!target.startsWith(join(sb.root, 'volumes'))) target = join(sb.root, 'volumes', m.name);
    mkdirSync(target, { recursive: true });
    mkdirSync(dirname(link), { recursive: true });
    if (!existsLink(link)) symlinkSync(target, link);
  }
  if (c.workingDir) mkdirSync(join(sb.fsRoot, c.workingDir), { recursive: true });
}

function existsLink(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return existsSync(p);
  }
}

export function removeSandbox(dataDir: string, groupId: string): void {
  rmSync(join(dataDir, groupId), { recursive: true, force: true });
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Rewrites absolute mount paths (and the working dir) that appear as whole path prefixes inside `s`. */
function rewritePaths(s: string, paths: string[], fsRoot: string): string {
  const usable = [...new Set(paths)].filter((p) => p.startsWith('/') && p !== '/').sort((a, b) => b.length - a.length);
  if (usable.length === 0) return s;
  const re = new RegExp(`(^|[\\s='"\`:;(,])(${usable.map(escapeRe).join('|')})(?=$|[/\\s'"\`;:),&|>])`, 'g');
  return s.replace(re, (_m, pre: string, p: string) => `${pre}${fsRoot}${p}`);
}

export interface ContainerEnvironment {
  /** The group's root directory (fs/), where absolute mount paths live. */
  groupRoot: string;
  cwd: string;
  env: Record<string, string>;
  rewrite: (s: string) => string;
  /**
   * Set for a group with names of its own (names.ts): what to spawn for an argv, so that it runs in a private mount
   * namespace with the group's /etc/hosts and /etc/resolv.conf. Unset: spawn the argv itself.
   */
  wrap?: (argv: string[]) => string[];
}

/** The group's name files and the programs that mount them (see names.ts). */
export interface OwnNames {
  ns: { unshare: string; mount: string; sh: string };
  files: NameFilePaths;
}

export function containerEnvironment(sb: Sandbox, g: GroupRecord, c: ContainerSpec, names?: OwnNames): ContainerEnvironment {
  const paths = c.volumeMounts.map((m) => m.mountPath);
  const rewrite = (s: string): string => rewritePaths(s, paths, sb.fsRoot);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: sb.fsRoot,
    HOSTNAME: g.spec.hostName ?? g.spec.name,
    TERM: 'xterm',
    ECI_GROUP_ROOT: sb.fsRoot,
    ECI_GROUP_ID: g.id,
    ECI_CONTAINER_NAME: c.name,
    ECI_POD_IP: g.intranetIp,
    ECI_WEB_PORTS: (c.ports.length ? c.ports.map((p) => p.port) : [80]).join(','),
  };
  for (const m of c.volumeMounts) env[`ECI_MOUNT_${m.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = join(sb.fsRoot, m.mountPath);
  for (const e of c.env) {
    if (e.fieldPath) env[e.key] = fieldValue(g, e.fieldPath);
    else env[e.key] = rewrite(e.value ?? '');
  }
  const cwd = c.workingDir ? join(sb.fsRoot, c.workingDir) : sb.fsRoot;
  // A command that cannot be found is spawned as is, so it fails to start exactly as it would without the
  // namespace (spawn's ENOENT/EACCES: StartError), not as the shell's "not found" exit 127.
  const wrap = names && ((argv: string[]): string[] => (argv.length > 0 && findExecutable(argv[0], cwd, env.PATH) ? inOwnNames(names.ns, names.files, argv) : argv));
  return { groupRoot: sb.fsRoot, cwd, env, rewrite, ...(wrap ? { wrap } : {}) };
}

function fieldValue(g: GroupRecord, path: string): string {
  switch (path) {
    case 'status.podIP':
    case 'status.hostIP':
      return g.intranetIp;
    case 'metadata.name':
      return g.spec.name;
    case 'metadata.uid':
      return g.uuid;
    case 'metadata.namespace':
      return g.spec.tags.find((t) => t.key === 'NameSpace')?.value ?? 'default';
    case 'spec.nodeName':
      return `virtual-kubelet-${g.spec.zoneId}`;
    default:
      return '';
  }
}
