import { rngFor, shuffled } from './rng.ts';

/**
 * The reference's epoch-shuffled minibatches: each epoch shuffles the train ids with the seeded
 * generator and pads the list to a multiple of b with the least-used ids; iteration i takes the
 * slice at i·b (mod the list length). Pure in (seed, ids, b, i), so a replay gets the same batches.
 */
export class EpochBatchSampler {
  private epoch = -1;
  private order: string[] = [];
  private readonly uses = new Map<string, number>();

  constructor(
    private readonly ids: readonly string[],
    private readonly size: number,
    private readonly seed: number,
  ) {
    if (ids.length === 0) throw new Error('no training cases to sample minibatches from');
  }

  /** The minibatch of iteration `i` (0-based); iterations must be asked for in increasing order. */
  next(i: number): string[] {
    const base = i * this.size;
    const epoch = this.epoch === -1 ? 0 : Math.floor(base / this.order.length);
    if (this.order.length === 0 || epoch > this.epoch) {
      this.epoch = epoch;
      this.reshuffle();
    }
    const start = base % this.order.length;
    return this.order.slice(start, start + this.size);
  }

  get currentEpoch(): number {
    return this.epoch;
  }

  private reshuffle(): void {
    this.order = shuffled(rngFor(this.seed, `minibatch-epoch:${this.epoch}`), this.ids);
    for (const id of this.order) this.uses.set(id, (this.uses.get(id) ?? 0) + 1);
    const remainder = this.order.length % this.size;
    for (let n = remainder === 0 ? 0 : this.size - remainder; n > 0; n--) {
      // Counter.most_common()[::-1][0]: the least-used id, the last inserted among equals.
      let pick = '';
      let least = Infinity;
      for (const [id, count] of this.uses) if (count <= least) [pick, least] = [id, count];
      this.order.push(pick);
      this.uses.set(pick, least + 1);
    }
  }
}
