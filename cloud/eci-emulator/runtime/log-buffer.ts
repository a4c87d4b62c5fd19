// Bounded per-container log ring: timestamped lines, oldest dropped once the byte budget is exceeded.
// Also splits a byte stream into lines (partial lines are held until a newline or flush()).
import type { LogLine } from './types.js';

function rfc3339Nano(ms: number, seq = 0): string {
  const base = new Date(ms).toISOString(); // 2024-01-01T00:00:00.123Z
  return `${base.slice(0, 23)}${String(seq % 1_000_000).padStart(6, '0')}Z`;
}

export class LogBuffer {
  private lines: LogLine[] = [];
  private head = 0;
  private bytes = 0;
  private partial = '';
  private seq = 0;

  constructor(private readonly maxBytes: number) {}

  append(chunk: Buffer | string, now = Date.now()): void {
    const text = this.partial + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    if (this.partial.length > 64 * 1024) {
      parts.push(this.partial);
      this.partial = '';
    }
    for (const p of parts) this.push(p, now);
  }

  flush(now = Date.now()): void {
    if (this.partial) this.push(this.partial, now);
    this.partial = '';
  }

  private push(text: string, now: number): void {
    const line: LogLine = { ms: now, ts: rfc3339Nano(now, this.seq++), text };
    this.lines.push(line);
    this.bytes += text.length + 1;
    while (this.bytes > this.maxBytes && this.head < this.lines.length - 1) {
      this.bytes -= this.lines[this.head].text.length + 1;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.lines.length) {
      this.lines = this.lines.slice(this.head);
      this.head = 0;
    }
  }

  snapshot(): LogLine[] {
    return this.lines.slice(this.head);
  }
}

interface LogQuery {
  tail?: number;
  sinceSeconds?: number;
  startTimeMs?: number;
  limitBytes?: number;
  timestamps?: boolean;
  now?: number;
}

/** kubelet's order: time filters, then tail, then timestamps, then limitBytes (a prefix of the output). */
export function renderLogs(lines: LogLine[], q: LogQuery): string {
  const now = q.now ?? Date.now();
  let sel = lines;
  if (q.startTimeMs !== undefined) sel = sel.filter((l) => l.ms >= q.startTimeMs!);
  if (q.sinceSeconds !== undefined) sel = sel.filter((l) => l.ms >= now - q.sinceSeconds! * 1000);
  if (q.tail !== undefined && q.tail > 0) sel = sel.slice(-q.tail);
  let out = sel.map((l) => (q.timestamps ? `${l.ts} ${l.text}\n` : `${l.text}\n`)).join('');
  if (q.limitBytes !== undefined && q.limitBytes > 0) {
    const buf = Buffer.from(out, 'utf8');
    if (buf.length > q.limitBytes) out = buf.subarray(0, q.limitBytes).toString('utf8');
  }
  return out;
}
