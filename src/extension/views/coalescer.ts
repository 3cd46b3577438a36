// Collects keys changed in a burst and hands them over at most once per interval (about one
// animation frame), so a transition over a thousand applications refreshes the tree a few
// dozen times rather than thousands. Pure: the timer functions are injectable for tests.

export interface TimerFns {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: TimerFns = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class Coalescer<K> {
  private pending = new Set<K>();
  private all = false;
  private timer: unknown;
  private disposed = false;

  constructor(
    private readonly flushFn: (keys: ReadonlySet<K> | 'all') => void,
    private readonly intervalMs = 16,
    /** Above this many changed keys one full refresh is cheaper than many small ones. */
    private readonly maxKeys = 500,
    private readonly timers: TimerFns = realTimers,
  ) {}

  add(key: K): void {
    if (this.disposed) return;
    if (!this.all) {
      this.pending.add(key);
      if (this.pending.size > this.maxKeys) this.addAll();
    }
    this.arm();
  }

  addAll(): void {
    if (this.disposed) return;
    this.all = true;
    this.pending.clear();
    this.arm();
  }

  /** Hands over what is pending now (used on dispose and by tests). */
  flush(): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    if (!this.all && this.pending.size === 0) return;
    const keys: ReadonlySet<K> | 'all' = this.all ? 'all' : this.pending;
    this.pending = new Set();
    this.all = false;
    this.flushFn(keys);
  }

  /** Drops what is pending without handing it over. */
  cancel(): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    this.pending.clear();
    this.all = false;
  }

  dispose(): void {
    this.cancel();
    this.disposed = true;
  }

  private arm(): void {
    if (this.timer === undefined) this.timer = this.timers.set(() => this.flush(), this.intervalMs);
  }
}
