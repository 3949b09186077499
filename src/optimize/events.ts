/**
 * What an optimization session tells the world, as typed events rather than log lines: the CLI
 * renders them (describeEvent), benches count them, the session stores them (so a viewer can follow a
 * running session), and nobody parses text. Strategies emit through StrategyContext.emit.
 */
import type { Level } from '../task/schema.ts';

export interface ScoreSnapshot {
  mean: number | null;
  sd: number;
}

export type OptimizeEvent =
  | {
      type: 'session-start';
      session: string;
      strategy: string;
      seed: number;
      trials: number;
      resuming: boolean;
      scope: string[];
    }
  | { type: 'baseline'; variantSeq: number; validation: ScoreSnapshot }
  | { type: 'round-start'; round: number; passRate: number; failedCases: number; level: Level }
  | { type: 'level-exhausted'; round: number; level: Level; reason: string }
  | { type: 'escalation'; round: number; to: Level; failedCases: number }
  | { type: 'no-proposal'; round: number; level: Level; proposer: string }
  | { type: 'proposal'; round: number; level: Level; technique: string; hypothesis: string; revision: boolean }
  | { type: 'review'; round: number; attempt: number; verdict: string; blocked: string[] }
  | {
      type: 'validation';
      iteration: number;
      technique: string;
      stepsChanged: string[];
      accepted: boolean;
      validation?: ScoreSnapshot;
      delta?: number;
      /** Why the proposal never reached validation (blocked twice, smoke failure …). */
      discarded?: string;
    }
  | {
      type: 'gepa-start';
      components: string[];
      valCases: number;
      minibatch: number;
      maxMetricCalls: number;
      seed: number;
      reflection: string;
      /** Set when the budget allows fewer than 3 accepted proposals. */
      shortBudget?: { needed: number };
    }
  | {
      type: 'gepa-iteration';
      iteration: number;
      /** `merge #i + #j` or `parent #p [minibatch ids]`. */
      move: string;
      outcome: string;
      metricCalls: number;
      front: number[];
    }
  | { type: 'gepa-placeholders-restored'; component: string; restored: string[] }
  | {
      type: 'gepa-best';
      candidate: number;
      variantSeq: number;
      valMean: number;
      metricCalls: number;
      candidates: number;
    }
  | { type: 'search-stop'; reason: string }
  | { type: 'test-start' };

export type OptimizeEventType = OptimizeEvent['type'];
export type EventSink = (event: OptimizeEvent) => void;

/** Scores as percentages, as FAPO's lines show them. */
const fmt = (s: ScoreSnapshot) =>
  s.mean === null ? 'n/a' : `${(100 * s.mean).toFixed(1)} ± ${(100 * s.sd).toFixed(1)}`;
const signed = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;

/** The human-readable lines of an event, as `fapo optimize` prints them. */
export function describeEvent(event: OptimizeEvent): string[] {
  switch (event.type) {
    case 'session-start':
      return [
        `session ${event.session} (${event.strategy}, seed ${event.seed}, ${event.trials} trials)${event.resuming ? ' — resuming' : ''}`,
        'scope contract:',
        ...event.scope.map((line) => `  ${line}`),
      ];
    case 'baseline':
      return [`baseline v${event.variantSeq}: validation ${fmt(event.validation)}`];
    case 'round-start':
      return [
        `round ${event.round}: train pass rate ${(100 * event.passRate).toFixed(1)}%, ${event.failedCases} failed cases, level ${event.level}`,
      ];
    case 'level-exhausted':
      return [`  ${event.level} level exhausted: ${event.reason}`];
    case 'escalation':
      return [
        `  escalating to ${event.to}: attribution names ${event.failedCases} failed cases a ${event.to} change could address`,
      ];
    case 'no-proposal':
      return [`  the ${event.proposer} proposer has nothing left to try at the ${event.level} level`];
    case 'proposal':
    case 'review':
      return event.type === 'review' && event.blocked.length > 0 && event.verdict === 'block'
        ? [`  review blocked (${event.blocked.join('; ')})`]
        : [];
    case 'validation':
      return [
        `  #${event.iteration} ${event.technique} on ${event.stepsChanged.join(', ')}: ${event.discarded ?? `val ${fmt(event.validation!)}, Δ ${signed(event.delta!)}`} → ${event.accepted ? 'accepted' : 'rejected'}`,
      ];
    case 'gepa-start':
      return [
        `gepa: ${event.components.length} components (${event.components.join(', ')}), |V| = ${event.valCases}, b = ${event.minibatch}, budget ${event.maxMetricCalls} metric calls, seed ${event.seed}, reflection ${event.reflection}`,
        ...(event.shortBudget
          ? [
              `gepa: warning: ${event.maxMetricCalls} metric calls allow fewer than 3 accepted proposals (|V| + 3·(b + |V|) = ${event.shortBudget.needed})`,
            ]
          : []),
      ];
    case 'gepa-iteration':
      return [
        `gepa: iteration ${event.iteration}: ${event.move}: ${event.outcome}; ${event.metricCalls} metric calls; front {${event.front.join(', ')}}`,
      ];
    case 'gepa-placeholders-restored':
      return [
        `gepa: reflection on ${event.component} dropped ${event.restored.map((r) => `\${${r}}`).join(', ')}; re-appended`,
      ];
    case 'gepa-best':
      return [
        `gepa: best candidate #${event.candidate} (v${event.variantSeq}) val mean ${event.valMean.toFixed(3)} after ${event.metricCalls} metric calls, ${event.candidates} candidates`,
      ];
    case 'search-stop':
      return [`search stopped: ${event.reason}`];
    case 'test-start':
      return ['evaluating the baseline and the selected variant on test (once)'];
  }
}
