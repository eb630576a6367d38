/**
 * What this client has seen of a room's numbered changes (docs/protocol.md, "seq").
 *
 * `watermark` is the highest seq applied with nothing missing below it; it is what a re-join
 * sends as `after_seq`. Changes applied above it wait in `seenAbove` until the gap below them
 * fills. The tracker is an immutable value: every method returns a tracker, the same one when
 * nothing changed, so a store can keep it in its state.
 */
export class SeqTracker {
  /** No base yet: nothing joined. Seqs noted now wait for the first join to set the base. */
  static readonly unjoined = new SeqTracker(null, []);

  private constructor(
    readonly watermark: number | null,
    /** Seqs above the watermark already applied, ascending. */
    readonly seenAbove: readonly number[],
  ) {}

  /** Whether a change below something already applied is still missing. */
  get hasGap(): boolean {
    return this.watermark !== null && this.seenAbove.length > 0;
  }

  /** Records that the change numbered `seq` was applied. */
  note(seq: number): SeqTracker {
    if (this.watermark !== null && seq <= this.watermark) return this;
    if (this.watermark !== null && seq === this.watermark + 1 && this.seenAbove.length === 0) {
      return new SeqTracker(seq, this.seenAbove);
    }
    const index = lowerBound(this.seenAbove, seq);
    if (this.seenAbove[index] === seq) return this;
    const seen = [...this.seenAbove.slice(0, index), seq, ...this.seenAbove.slice(index)];
    return this.watermark === null ? new SeqTracker(null, seen) : SeqTracker.advance(this.watermark, seen);
  }

  /** Records that every change from `first` to `last` (inclusive) was applied. */
  cover(first: number, last: number): SeqTracker {
    if (last < first) return this;
    if (this.watermark !== null && first <= this.watermark + 1) {
      return SeqTracker.advance(Math.max(this.watermark, last), this.seenAbove);
    }
    const range = Array.from({ length: last - first + 1 }, (_, offset) => first + offset);
    return range.reduce((tracker: SeqTracker, seq) => tracker.note(seq), this);
  }

  /** Takes `base` (a join ack's seq) as applied with nothing missing, keeping the seqs seen above it. */
  rebase(base: number): SeqTracker {
    return SeqTracker.advance(base, this.seenAbove);
  }

  private static advance(watermark: number, seenAbove: readonly number[]): SeqTracker {
    let mark = watermark;
    const rest: number[] = [];
    for (const seq of seenAbove) {
      if (seq <= mark) continue;
      if (seq === mark + 1) mark = seq;
      else rest.push(seq);
    }
    return new SeqTracker(mark, rest);
  }
}

/** The first index of the ascending `list` whose value is not below `value`. */
export function lowerBound<T>(list: readonly T[], value: number, key: (item: T) => number = Number): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (key(list[middle] as T) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
