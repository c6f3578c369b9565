// The server's evaluation-key cache: entries bounded by their bytes, evicted least recently used
// first, and loaded once: concurrent requests for an id that is being loaded wait on the same
// promise instead of expanding the same keys again. Ids are whatever the caller proves them to be
// (the server uses the sha256 of the key bytes it has just read); the cache trusts its caller.
// Every value it lets go of goes to `onDrop`: values holding native memory are freed there at
// once, not at some later garbage collection.

export interface CacheStats {
  readonly bytes: number;
  readonly entries: number;
  readonly maxBytes: number;
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
}

interface Entry<T> {
  readonly value: T;
  readonly bytes: number;
}

export class KeyCacheFullError extends Error {
  constructor(readonly bytes: number, readonly maxBytes: number) {
    super(`a key set of ${bytes} bytes does not fit in the key cache (limit ${maxBytes} bytes)`);
    this.name = "KeyCacheFullError";
  }
}

export class KeyCache<T> {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  private readonly entries = new Map<string, Entry<T>>();
  private readonly loading = new Map<string, Promise<T>>();
  private held = 0;
  private hitCount = 0;
  private missCount = 0;
  private evictionCount = 0;

  /** `onDrop` receives every value the cache lets go of: evicted, replaced under its id, or too large to keep. */
  constructor(readonly maxBytes: number, private readonly onDrop: (value: T) => void = () => {}) {
    if (!(maxBytes > 0)) throw new RangeError(`the key cache limit must be positive, got ${maxBytes}`);
  }

  /** The entry, marked as most recently used; counts a hit or a miss. */
  get(id: string): T | undefined {
    const e = this.entries.get(id);
    if (!e) {
      this.missCount++;
      return undefined;
    }
    this.hitCount++;
    this.entries.delete(id);
    this.entries.set(id, e);
    return e.value;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** The load of `id` in progress, if any (resolves to the entry once it is in). */
  pending(id: string): Promise<T> | undefined {
    return this.loading.get(id);
  }

  /**
   * Runs `load` for `id` unless a load of it is already running; either way resolves when the
   * entry is in. A failed load leaves nothing behind, so the next caller loads again.
   */
  load(id: string, load: () => Promise<Entry<T>>): Promise<T> {
    const running = this.loading.get(id);
    if (running) return running;
    const p = (async () => {
      try {
        const e = await load();
        this.insert(id, e);
        return e.value;
      } finally {
        this.loading.delete(id);
      }
    })();
    this.loading.set(id, p);
    return p;
  }

  private insert(id: string, e: Entry<T>): void {
    if (e.bytes > this.maxBytes) {
      this.onDrop(e.value);
      throw new KeyCacheFullError(e.bytes, this.maxBytes);
    }
    const old = this.entries.get(id);
    if (old) {
      this.entries.delete(id);
      this.held -= old.bytes;
      if (old.value !== e.value) this.onDrop(old.value);
    }
    // Evict before inserting, so the cache never holds more than its limit.
    for (const [oldest, victim] of this.entries) {
      if (this.held + e.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.held -= victim.bytes;
      this.evictionCount++;
      this.onDrop(victim.value);
    }
    this.entries.set(id, e);
    this.held += e.bytes;
  }

  get stats(): CacheStats {
    return {
      bytes: this.held,
      entries: this.entries.size,
      maxBytes: this.maxBytes,
      hits: this.hitCount,
      misses: this.missCount,
      evictions: this.evictionCount,
    };
  }

  get ids(): readonly string[] {
    return [...this.entries.keys()];
  }
}
