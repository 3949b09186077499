/**
 * `fapo/testing`: offline stand-ins for models, for tests, demos and CI. `sim:*` models are
 * deterministic functions, NOT language models: say so wherever their output is shown.
 */
export { installSimBehaviours, minimalValueForSchema } from './sim-behaviours.ts';
export { simQa } from './sim-qa.ts';
export { simReflect } from './sim-reflect.ts';
export {
  registerSimBehaviour,
  simBehaviourNames,
  simRandom,
  estimateTokens,
  type SimBehaviour,
  type SimCall,
} from '../models/sim.ts';
