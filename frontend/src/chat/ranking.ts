// The Top view's ranking, as docs/protocol.md defines it, so the client can tell when news
// would change the order the server answers (without asking it on every vote).

/** z for a 95% interval. */
const Z = 1.959963984540054;

/**
 * The lower bound of the Wilson score interval at 95% for the share of upvotes. Exactly 0
 * without upvotes, so an all-down message never ranks above a silent one.
 */
export function wilsonLowerBound(upvotes: number, downvotes: number): number {
  if (upvotes <= 0) return 0;
  const n = upvotes + downvotes;
  const p = upvotes / n;
  const z2 = Z * Z;
  return (p + z2 / (2 * n) - Z * Math.sqrt((p * (1 - p) + z2 / (4 * n)) / n)) / (1 + z2 / n);
}

export interface Ranked {
  id: number;
  upvotes: number;
  downvotes: number;
}

/** The ranking's order: the lower bound, highest first, then the id, lowest first. */
export function compareRank(a: Ranked, b: Ranked): number {
  return wilsonLowerBound(b.upvotes, b.downvotes) - wilsonLowerBound(a.upvotes, a.downvotes) || a.id - b.id;
}

/**
 * How many of `shown` (in the order shown) would have to move to put them in rank order:
 * their number less the longest run already in order. One message that overtakes ten others
 * is one move, as a reader sees it.
 */
export function movesToRank(shown: readonly Ranked[]): number {
  if (shown.length < 2) return 0;
  const ranked = [...shown].sort(compareRank);
  const rankOf = new Map(ranked.map((item, index) => [item.id, index]));
  // Longest increasing subsequence of the ranks, by patience sorting: tails[k] is the smallest
  // rank ending an increasing run of length k + 1.
  const tails: number[] = [];
  for (const item of shown) {
    const rank = rankOf.get(item.id) as number;
    let low = 0;
    let high = tails.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((tails[middle] as number) < rank) low = middle + 1;
      else high = middle;
    }
    tails[low] = rank;
  }
  return shown.length - tails.length;
}
