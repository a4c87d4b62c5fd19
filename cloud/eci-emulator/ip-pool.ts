// Allocates one loopback address per container group from a CIDR inside 127.0.0.0/8 (never 127.0.0.1).
// Freed addresses are reused after the rest of the range, so a fresh group rarely inherits a stale IP.

export class IpPool {
  private readonly base: number;
  private readonly size: number;
  private next = 1;
  private readonly free: number[] = [];
  private readonly used = new Set<number>();

  constructor(cidr: string) {
    const [addr, prefix] = cidr.split('/');
    const parts = addr.split('.').map(Number);
    const bits = Number(prefix);
    const ip = ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
    this.size = 2 ** (32 - bits);
    this.base = ip - (ip % this.size);
  }

  allocate(): string {
    let offset: number | undefined;
    while (this.next < this.size - 1 && offset === undefined) {
      const candidate = this.next++;
      if (this.usable(candidate)) offset = candidate;
    }
    if (offset === undefined) offset = this.free.shift();
    if (offset === undefined) throw new Error('loopback address pool exhausted');
    this.used.add(offset);
    return this.format(offset);
  }

  release(ip: string): void {
    const p = ip.split('.').map(Number);
    const offset = ((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3] - this.base;
    if (this.used.delete(offset)) this.free.push(offset);
  }

  private usable(offset: number): boolean {
    const last = (this.base + offset) & 0xff;
    const addr = this.format(offset);
    return last !== 0 && last !== 255 && addr !== '127.0.0.1' && !this.used.has(offset);
  }

  private format(offset: number): string {
    const n = this.base + offset;
    return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
  }
}
