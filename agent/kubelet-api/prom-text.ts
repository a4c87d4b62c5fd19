// Prometheus text exposition (format 0.0.4) for the kubelet API's hand-rendered endpoints
// (/metrics/resource, /metrics/cadvisor): label escaping, sample lines with optional millisecond
// timestamps, HELP/TYPE families in a fixed order. Pure.

export const TEXT_FORMAT = 'text/plain; version=0.0.4; charset=utf-8';

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function ms(time: string | undefined): string {
  const t = time ? Date.parse(time) : NaN;
  return Number.isFinite(t) ? ` ${t}` : '';
}

export type Family = [name: string, type: 'counter' | 'gauge', help: string];

/** Collects samples per family and renders them with their HELP and TYPE lines, families in the given order. */
export class TextExposition {
  private readonly series: Map<string, string[]>;
  constructor(private readonly families: readonly Family[]) {
    this.series = new Map(families.map(([n]) => [n, []]));
  }
  /** `time` (RFC 3339) becomes the sample's timestamp, as the kubelet stamps samples with their measurement time. */
  add(name: string, l: Record<string, string>, value: number, time?: string): void {
    const s = this.series.get(name);
    if (!s) throw new Error(`unknown metric family ${name}`);
    s.push(`${name}${labels(l)} ${value}${ms(time)}`);
  }
  render(): string {
    const out: string[] = [];
    for (const [name, type, help] of this.families) out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...this.series.get(name)!);
    return out.join('\n') + '\n';
  }
}
