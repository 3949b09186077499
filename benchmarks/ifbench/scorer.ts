import { defineScorer } from 'fapo';
import { ifbenchScorer } from 'fapo/bench';

/** IFBench: loose instruction-level fraction (GEPA); strict and prompt-level in the breakdown; constraints met / not met as feedback. */
export default defineScorer(ifbenchScorer);
