/** Public API of the model layer. */
export type * from './types.ts';
export { createModelClient, responseCacheKey, type ModelClientOptions } from './client.ts';
export { createLanguageModel, type LanguageModelOptions } from './language-model.ts';
export { UsageMeter, type BudgetCaps, type Limits, type MeterSnapshot, type RoleUsage } from './meter.ts';
export {
  API_KEY_ENV_VARS,
  PROVIDERS,
  parseModelId,
  resolveApiKey,
  type ModelIdOptions,
  type ModelSpec,
  type ProviderName,
} from './model-id.ts';
export {
  DEFAULT_PRICES,
  DEFAULT_PRICES_AS_OF,
  costUsd,
  loadPriceTable,
  lookupPrice,
  type Price,
  type PriceLookup,
  type PriceTable,
} from './pricing.ts';
export {
  createSimLanguageModel,
  estimateTokens,
  registerSimBehaviour,
  simBehaviourNames,
  simRandom,
  type SimBehaviour,
  type SimCall,
} from './sim.ts';
