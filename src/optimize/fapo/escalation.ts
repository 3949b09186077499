import type { AttributionReport } from '../../attribution/report.ts';
import { LEVEL_COST_ORDER } from '../../attribution/types.ts';
import type { Level } from '../../task/schema.ts';
import type { ExhaustionMemory } from './memory.ts';

export interface EscalationPolicy {
  /** Consecutive proposals without a validation gain that make a plateau (default 3). */
  plateauWindow: number;
  /** Distinct techniques that must have been tried before a plateau counts (default 3). */
  minTechniques: number;
}

export const DEFAULT_ESCALATION: EscalationPolicy = { plateauWindow: 3, minTechniques: 3 };

interface LevelProgress {
  techniques: Set<string>;
  noGainStreak: number;
  variants: number;
}

/**
 * Prompt first. A level is left only when it is exhausted (resolved, plateau or ceiling), and the
 * next level is entered only if the scope allows it AND attribution names a bottleneck at it.
 */
export class LevelTracker {
  private readonly progress = new Map<Level, LevelProgress>();
  private readonly exhausted = new Map<Level, ExhaustionMemory['reason']>();
  current: Level;

  constructor(
    private readonly allowed: Level[],
    private readonly policy: EscalationPolicy = DEFAULT_ESCALATION,
  ) {
    this.current = LEVEL_COST_ORDER.find((l) => allowed.includes(l)) ?? 'prompt';
  }

  private of(level: Level): LevelProgress {
    let p = this.progress.get(level);
    if (!p) this.progress.set(level, (p = { techniques: new Set(), noGainStreak: 0, variants: 0 }));
    return p;
  }

  triedTechniques(level = this.current): string[] {
    return [...this.of(level).techniques];
  }

  variantsTried(level = this.current): number {
    return this.of(level).variants;
  }

  /** Records a proposal that reached (or failed before) validation. */
  record(technique: string, gained: boolean): void {
    const p = this.of(this.current);
    p.variants++;
    p.techniques.add(technique);
    p.noGainStreak = gained ? 0 : p.noGainStreak + 1;
  }

  /** Why the current level is exhausted, or undefined while work remains at it. */
  exhaustionReason(report: AttributionReport, proposerOutOfIdeas: boolean): ExhaustionMemory['reason'] | undefined {
    if (report.levelPartition[this.current].count === 0) return 'resolved';
    const p = this.of(this.current);
    if (p.noGainStreak >= this.policy.plateauWindow && p.techniques.size >= this.policy.minTechniques) return 'plateau';
    if (proposerOutOfIdeas || report.ceilingEstimate[this.current] <= 0) return 'ceiling';
    return undefined;
  }

  markExhausted(reason: ExhaustionMemory['reason']): void {
    this.exhausted.set(this.current, reason);
  }

  /**
   * The next allowed level with a bottleneck in (fresh) attribution, cheapest first. Undefined when
   * every allowed level is exhausted or none of the remaining ones has failures it could address.
   */
  escalate(report: AttributionReport): Level | undefined {
    const order = LEVEL_COST_ORDER.filter((l) => this.allowed.includes(l) && !this.exhausted.has(l));
    const next = order.find((l) => l !== 'prompt' && report.levelPartition[l].count > 0);
    if (next) this.current = next;
    return next;
  }
}
