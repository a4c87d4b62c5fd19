// Incremental reading of ECI container logs for `logs -f`: DescribeContainerLog has no follow, so the relay polls
// with Timestamps=true and StartTime = the whole second of the newest seen line, and this cursor drops what it
// already saw (older lines, and a multiset of (timestamp, text) at the newest timestamp), strips timestamps the
// caller did not ask for and enforces limit_bytes over the whole session. Pure: no I/O, no clocks.

/** One line of a timestamped DescribeContainerLog Content. */
interface TimestampedLine {
  /** The timestamp as ECI printed it ('' when the line had none). */
  ts: string;
  /** Nanoseconds since the epoch, or undefined when the line has no parsable timestamp. */
  ns: bigint | undefined;
  text: string;
  /** False only for a final piece of Content that did not end in '\n'. */
  terminated: boolean;
}

const TS_RE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;
const NS_PER_S = 1_000_000_000n;

/** RFC 3339 (any fraction length up to ns, Z or offset) to ns since the epoch; undefined if not a timestamp. */
export function rfc3339ToNanos(ts: string): bigint | undefined {
  const m = TS_RE.exec(ts);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (!Number.isFinite(ms)) return undefined;
  const frac = (m[2] ?? '').padEnd(9, '0');
  return BigInt(ms / 1000) * NS_PER_S + BigInt(frac);
}

/** The whole second containing `ns`, as ECI's StartTime (`2024-01-02T03:04:05Z`). */
export function secondFloorRfc3339(ns: bigint): string {
  const s = ns / NS_PER_S - (ns < 0n && ns % NS_PER_S !== 0n ? 1n : 0n);
  return new Date(Number(s) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Splits a timestamped Content into lines; a line without a leading timestamp keeps ts '' and ns undefined. */
export function parseTimestamped(content: string): TimestampedLine[] {
  if (content === '') return [];
  const parts = content.split('\n');
  const last = parts.pop()!;
  const out: TimestampedLine[] = [];
  const push = (raw: string, terminated: boolean) => {
    const sp = raw.indexOf(' ');
    const head = sp < 0 ? raw : raw.slice(0, sp);
    const ns = rfc3339ToNanos(head);
    if (ns === undefined) out.push({ ts: '', ns: undefined, text: raw, terminated });
    else out.push({ ts: head, ns, text: sp < 0 ? '' : raw.slice(sp + 1), terminated });
  };
  for (const p of parts) push(p, true);
  if (last !== '') push(last, false);
  return out;
}

interface LogCursorOptions {
  /** Keep the timestamps in the output (the caller asked for them). */
  timestamps: boolean;
  /** Total bytes the session may emit; undefined or <= 0 = unlimited. */
  limitBytes?: number;
}

interface AcceptOptions {
  /** Record the lines as seen but emit nothing (kubectl --tail=0: the read only positions the cursor). */
  suppress?: boolean;
  /** Emit an unterminated last line too (the final read); otherwise it waits for its newline. */
  final?: boolean;
}

interface AcceptResult {
  /** Bytes to write to the caller, already cut to the remaining limit. */
  out: Buffer;
  /** Lines emitted by this read (not counting duplicates). */
  lines: number;
  /** limit_bytes is used up: the session must end. */
  limitReached: boolean;
}

/**
 * Tracks what a follow session already saw. Feed it every DescribeContainerLog Content (read with
 * Timestamps=true); ask it for the StartTime of the next read. The log is time-ordered, so a line older than the
 * newest seen line was already there when that line was read (emitted, or left out on purpose by tail/limit);
 * lines with exactly the newest timestamp are told apart by a multiset of their text.
 */
export class LogCursor {
  /** Newest timestamp seen (ns) and the lines seen at exactly that timestamp. */
  private newestNs: bigint | undefined;
  private readonly atNewest = new Map<string, number>();
  private lastTs = '';
  private lastNs: bigint | undefined;
  private emitted = 0;
  private done = false;

  constructor(private readonly opts: LogCursorOptions) {}

  /** StartTime for the next read (the whole second of the newest seen line), or undefined when nothing was seen. */
  nextStartTime(): string | undefined {
    return this.newestNs === undefined ? undefined : secondFloorRfc3339(this.newestNs);
  }

  get limitReached(): boolean {
    return this.done;
  }

  accept(content: string, o: AcceptOptions = {}): AcceptResult {
    const chunks: Buffer[] = [];
    let lines = 0;
    // Per-read consumption of the lines remembered at the newest timestamp: each absorbs one repeat per read.
    const consumed = new Map<string, number>();
    for (const line of parseTimestamped(content)) {
      if (this.done) break;
      if (!line.terminated && !o.final) break;
      // A line without a timestamp continues the previous entry (it was split by an embedded newline upstream).
      const ns = line.ns ?? this.lastNs;
      const ts = line.ns === undefined ? this.lastTs : line.ts;
      const key = `${ts} ${line.text}`;
      if (ns !== undefined && this.newestNs !== undefined) {
        if (ns < this.newestNs) continue;
        if (ns === this.newestNs) {
          const used = consumed.get(key) ?? 0;
          consumed.set(key, used + 1);
          if (used < (this.atNewest.get(key) ?? 0)) continue;
        }
      }
      if (ns !== undefined) this.remember(key, ns, consumed);
      this.lastNs = ns;
      this.lastTs = ts;
      if (o.suppress) continue;
      lines++;
      const rendered = this.opts.timestamps && line.ns !== undefined ? `${line.ts} ${line.text}` : line.text;
      chunks.push(this.cut(Buffer.from(line.terminated ? `${rendered}\n` : rendered, 'utf8')));
    }
    return { out: Buffer.concat(chunks), lines, limitReached: this.done };
  }

  private remember(key: string, ns: bigint, consumed: Map<string, number>): void {
    if (this.newestNs === undefined || ns > this.newestNs) {
      this.newestNs = ns;
      this.atNewest.clear();
      consumed.clear();
      consumed.set(key, 1);
    }
    this.atNewest.set(key, (this.atNewest.get(key) ?? 0) + 1);
  }

  private cut(buf: Buffer): Buffer {
    const limit = this.opts.limitBytes;
    if (limit === undefined || limit <= 0) {
      this.emitted += buf.length;
      return buf;
    }
    const room = limit - this.emitted;
    if (buf.length >= room) {
      this.done = true;
      this.emitted = limit;
      return buf.subarray(0, Math.max(0, room));
    }
    this.emitted += buf.length;
    return buf;
  }
}
