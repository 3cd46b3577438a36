/**
 * Loopback addresses for pods (all of 127/8 reaches lo on Linux). Each cluster draws its
 * own block, 127.A.B.x with A in 16..99 and B random, so that simulated clusters running
 * at the same time on one machine (parallel test suites) do not hand out the same address.
 */
export class PodIpPool {
  private readonly base: number;
  private next = 2;
  private readonly free: string[] = [];
  constructor() {
    this.base = ((16 + Math.floor(Math.random() * 84)) << 16) | (Math.floor(Math.random() * 192) << 8);
  }
  /** Fresh addresses first: a client still holding a dead pod's address should not reach a new pod there. */
  allocate(): string {
    while (this.next < 1 << 16) {
      const n = this.base + this.next++;
      if ((n & 255) === 0 || (n & 255) === 255) continue;
      return `127.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
    }
    const reused = this.free.shift();
    if (!reused) throw new Error('pod address pool exhausted');
    return reused;
  }
  release(ip: string): void {
    this.free.push(ip);
  }
}
