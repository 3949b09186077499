import { defineScorer } from 'fapo';
import { aimeScorer } from 'fapo/bench';

/** AIME: integer exact match; the reference solution is in the feedback (train only). */
export default defineScorer(aimeScorer);
