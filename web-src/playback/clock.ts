// Session time and the timeline bar's position: idle gaps (outside the active spans) are
// compressed to a fixed share each, so a two-hour interview with long pauses stays readable.

export const GAP_WEIGHT_MS = 3_000; // an idle gap is drawn as wide as 3 s of activity

interface Piece {
  from: number;
  to: number;
  idle: boolean;
  weight: number;
}

export class CompressedClock {
  private readonly pieces: Piece[] = [];
  private readonly total: number;

  constructor(
    readonly start: number,
    readonly end: number,
    spans: [number, number][],
  ) {
    let at = start;
    for (const [from, to] of spans) {
      const a = Math.max(from, start);
      const b = Math.min(to, end);
      if (b <= a) continue;
      if (a > at) this.pieces.push({ from: at, to: a, idle: true, weight: GAP_WEIGHT_MS });
      this.pieces.push({ from: a, to: b, idle: false, weight: b - a });
      at = b;
    }
    if (end > at) this.pieces.push({ from: at, to: end, idle: true, weight: GAP_WEIGHT_MS });
    this.total = Math.max(
      1,
      this.pieces.reduce((sum, p) => sum + p.weight, 0),
    );
  }

  /** 0..1 along the bar for session time ``t``. */
  fraction(t: number): number {
    let before = 0;
    for (const piece of this.pieces) {
      if (t < piece.to) {
        const inside = t <= piece.from ? 0 : ((t - piece.from) / (piece.to - piece.from)) * piece.weight;
        return (before + inside) / this.total;
      }
      before += piece.weight;
    }
    return 1;
  }

  /** Session time at ``fraction`` (0..1) of the bar. */
  time(fraction: number): number {
    let left = Math.min(1, Math.max(0, fraction)) * this.total;
    for (const piece of this.pieces) {
      if (left <= piece.weight) return Math.round(piece.from + (left / piece.weight) * (piece.to - piece.from));
      left -= piece.weight;
    }
    return this.end;
  }

  /** Where playing should continue from ``t``: past an idle gap, at the next activity. */
  skipIdle(t: number): number {
    const piece = this.pieces.find((p) => t >= p.from && t < p.to);
    return piece?.idle && piece.to < this.end ? piece.to : t;
  }
}

export function formatClock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

export function wallClock(ms: number): string {
  return new Date(ms).toLocaleTimeString();
}
