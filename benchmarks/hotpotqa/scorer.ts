import { defineScorer } from 'fapo';
import { hotpotqaScorer } from 'fapo/bench';

/** HotpotQA: exact match (token F1 and retrieval recall logged); hop-aware GEPA feedback. */
export default defineScorer(hotpotqaScorer);
