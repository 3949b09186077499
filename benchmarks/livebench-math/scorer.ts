import { defineScorer } from 'fapo';
import { livebenchMathScorer } from 'fapo/bench';

/** LiveBench-Math: LiveBench's per-subtask scoring; the scorer's debug line is the feedback (GEPA). */
export default defineScorer(livebenchMathScorer);
