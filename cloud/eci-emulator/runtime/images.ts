// Image catalog of the process runtime: maps an image reference to what runs for it.
// Shell images run their command/args on the host's /bin/sh userland; web images run the tiny Node web server;
// pause images sleep; any image with an explicit Command runs that command; anything else cannot be "pulled".
import { fileURLToPath } from 'node:url';
import type { ContainerSpec } from '../model.js';

type ImageKind = 'shell' | 'web' | 'pause' | 'unknown';

const SHELL = new Set(['busybox', 'alpine', 'ubuntu', 'debian', 'centos', 'fedora', 'bash', 'rockylinux', 'almalinux', 'amazonlinux', 'archlinux', 'opensuse', 'alinux', 'alinux2', 'alinux3', 'anolisos', 'eci-emulator/shell']);
const WEB = new Set(['nginx', 'httpd', 'eci-emulator/web', 'nginxinc/nginx-unprivileged']);
const PAUSE = new Set(['pause', 'eci-emulator/pause']);

const WEB_SERVER_SCRIPT = fileURLToPath(new URL('./web-server.mjs', import.meta.url));

/** `registry.io:5000/library/nginx:1.25@sha256:..` -> `nginx`; `eci-emulator/web:latest` -> `eci-emulator/web`. */
function imageRepository(image: string): string {
  let ref = image.split('@')[0];
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) ref = ref.slice(0, colon);
  const parts = ref.split('/');
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost')) parts.shift();
  if (parts[0] === 'library') parts.shift();
  return parts.join('/').toLowerCase();
}

function imageKind(image: string): ImageKind {
  const repo = imageRepository(image);
  const last = repo.split('/').pop() ?? repo;
  if (WEB.has(repo) || WEB.has(last)) return 'web';
  if (SHELL.has(repo) || SHELL.has(last)) return 'shell';
  if (PAUSE.has(repo) || PAUSE.has(last)) return 'pause';
  return 'unknown';
}

type LaunchPlan = { argv: string[]; web: boolean } | { error: string };

/** What to execute for a container (before mount-path rewriting). Docker semantics: Command replaces the entrypoint, Args the CMD. */
export function launchPlan(spec: ContainerSpec): LaunchPlan {
  const kind = imageKind(spec.image);
  if (spec.command.length > 0) return { argv: [...spec.command, ...spec.args], web: false };
  if (kind === 'shell') return { argv: spec.args.length ? [...spec.args] : ['/bin/sh'], web: false };
  if (kind === 'web') return { argv: [process.execPath, WEB_SERVER_SCRIPT, ...spec.args], web: true };
  if (kind === 'pause') return { argv: ['sleep', 'infinity'], web: false };
  return { error: `image "${spec.image}" is not in the emulator's image catalog and has no Command; set Container.N.Command or use a catalog image (busybox, alpine, ubuntu, debian, nginx, httpd, eci-emulator/web)` };
}
