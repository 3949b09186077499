import { defineScorer } from 'fapo';
import { hoverScorer } from 'fapo/bench';

/** HoVer: all gold titles retrieved (recall logged); GEPA feedback naming the documents found and missed. */
export default defineScorer(hoverScorer);
