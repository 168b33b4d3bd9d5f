// At most N requests of a kind in progress; the rest wait before their body
// is read (TCP backpressure keeps it on the wire), so memory stays bounded
// however many devices push at once. Pushes serialise at the database
// anyway (push-sql.ts serialisePushes): more at once would only cost memory.

export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  async acquire(): Promise<() => void> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next(); // the slot passes straight on
      else this.active -= 1;
    };
  }
}
