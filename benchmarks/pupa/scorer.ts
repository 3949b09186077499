import { defineScorer } from 'fapo';
import { pupaScorer } from 'fapo/bench';

/** PUPA: deterministic verbatim leakage; quality is an offline token-F1 stand-in for the judge (breakdown.judged = 0). */
export default defineScorer(pupaScorer);
