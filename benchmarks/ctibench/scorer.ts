import { defineScorer } from 'fapo';
import { ctibenchScorer } from 'fapo/bench';

/** CTIBench-RCM: exact CWE id from the last line (CTIBench's whole-line rule in the breakdown). */
export default defineScorer(ctibenchScorer);
