// Builds the tunnel's PodIntent from a pod and what the agent resolved for it, and bounds its size by the
// relay's message limit (the relay states it in the handshake), so an oversized pod fails with a clear
// reason instead of being refused by the transport on every retry. Pure.
import type { V1Pod } from '@kubernetes/client-node';
import type { PodIntent } from '../../proto/gen/ecigw/tunnel/v1/PodIntent.js';
import type { Resolved } from './resolve.js';

export class IntentTooLargeError extends Error {
  constructor(bytes: number, limit: number) {
    super(
      `pod with its resolved ConfigMaps/Secrets is ${bytes} bytes as a pod intent, over the relay's limit of ${limit} bytes per message (its limits.maxMessageBytes); move large files out of ConfigMap/Secret volumes`,
    );
    this.name = 'IntentTooLargeError';
  }
}

/** Bytes of a protobuf varint holding `n` (n ≥ 0). */
const varintBytes = (n: number): number => (n < 0x80 ? 1 : 1 + varintBytes(Math.floor(n / 0x80)));
/** Bytes of a length-delimited field (tag, length, body) whose body is `n` bytes; every field number here is < 16 (one-byte tag). */
const field = (n: number): number => 1 + varintBytes(n) + n;
const str = (s: string): number => field(Buffer.byteLength(s, 'utf8'));
/** A bytes field (protobufjs takes a string there as base64). */
const bytes = (b: Uint8Array | string | undefined): number => field(b === undefined ? 0 : typeof b === 'string' ? Buffer.byteLength(b, 'base64') : b.length);
/** A varint field (uint32, int64); at its largest (negative, Long, string) when not a plain whole number ≥ 0. */
const varint = (n: unknown): number => (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? 1 + varintBytes(n) : 1 + 10);

/**
 * An upper bound of the encoded ApplyPodRequest { intent } (protobuf): every field counted as present, so
 * a request within it is never larger on the wire. Over the real encoding by a few bytes per pod.
 */
export function intentWireBytes(i: PodIntent): number {
  let body = str(i.uid ?? '') + varint(i.generation) + bytes(i.podJson) + bytes(i.serviceAccountToken);
  for (const [name, v] of Object.entries(i.volumes ?? {})) {
    let files = 0;
    for (const f of v.files ?? []) files += field(str(f.path ?? '') + bytes(f.content) + varint(f.mode));
    body += field(str(name) + field(files));
  }
  for (const [container, e] of Object.entries(i.env ?? {})) {
    let values = 0;
    for (const [k, val] of Object.entries(e.values ?? {})) values += field(str(k) + str(val));
    body += field(str(container) + field(values));
  }
  for (const c of i.imagePullCredentials ?? []) body += field(str(c.server ?? '') + str(c.username ?? '') + str(c.password ?? ''));
  return field(body);
}

/** @param maxMessageBytes the relay's limit of one message (PodTunnel.maxIntentBytes) */
export function buildIntent(pod: V1Pod, r: Resolved, maxMessageBytes: number): PodIntent {
  // Only what the cloud side needs: managedFields and the status are not sent.
  const metadata = { ...pod.metadata };
  delete metadata.managedFields;
  const volumes: NonNullable<PodIntent['volumes']> = {};
  for (const [name, files] of Object.entries(r.volumes)) volumes[name] = { files: files.map((f) => ({ path: f.path, content: f.content, mode: f.mode })) };
  const env: NonNullable<PodIntent['env']> = {};
  for (const [c, values] of Object.entries(r.env)) env[c] = { values };
  const intent: PodIntent = {
    uid: pod.metadata?.uid ?? '',
    generation: pod.metadata?.generation ?? 1,
    podJson: Buffer.from(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata, spec: pod.spec })),
    volumes,
    env,
    imagePullCredentials: r.imagePullCredentials,
  };
  const size = intentWireBytes(intent);
  if (size > maxMessageBytes) throw new IntentTooLargeError(size, maxMessageBytes);
  return intent;
}
