// A bounded queue in front of the encrypted work: at most `concurrency` jobs run (each already
// uses the whole PBS thread pool), at most `maxWaiting` wait; past that the caller is told to come
// back later instead of piling up memory and latency.

export class QueueFullError extends Error {
  constructor() {
    super("the server is busy: its queue is full");
    this.name = "QueueFullError";
  }
}

export class WorkQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly concurrency: number, readonly maxWaiting: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    if (!Number.isInteger(maxWaiting) || maxWaiting < 0) throw new RangeError(`the queue length must be a non-negative integer, got ${maxWaiting}`);
  }

  /** Jobs waiting for a slot. */
  get length(): number {
    return this.waiting.length;
  }

  get active(): number {
    return this.running;
  }

  /** Runs `job` when a slot is free; throws QueueFullError at once if the queue is full. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) throw new QueueFullError();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await job();
    } finally {
      // Hand the slot straight to the next waiter (running stays the same), or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
