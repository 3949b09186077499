import type { NewVariant } from '../../src/eval/store.ts';
import { variantHash } from '../../src/eval/variant.ts';
import type { CaseResult, RunSpec } from '../../src/eval/types.ts';
import { tempDir } from '../fixtures/temp.ts';

export function tempWorkspace(): string {
  return tempDir('fapo-store-');
}

export function newVariant(prompt: string, parent: string | null = null): NewVariant {
  const content = {
    chainPath: 'chain.ts',
    chainSource: 'export default {}',
    prompts: { answer: prompt },
    params: { k: 3 },
  };
  return {
    ...content,
    hash: variantHash(content),
    parent,
    level: parent ? 'prompt' : 'baseline',
    createdBy: 'test',
  };
}

export function spec(caseIds: string[], overrides: Partial<RunSpec> = {}): RunSpec {
  return {
    variant: 'a'.repeat(64),
    split: 'val',
    trials: 2,
    model: 'sim:qa',
    sampling: { temperature: 0 },
    datasetFingerprint: 'f'.repeat(64),
    caseIds,
    ...overrides,
  };
}

export function result(
  caseId: string,
  trial: number,
  status: CaseResult['status'],
  score: number | null = null,
): CaseResult {
  return {
    caseId,
    trial,
    status,
    output: { answer: `answer for ${caseId}` },
    score,
    steps: [
      { name: 'answer', kind: 'llm', iteration: 0, inputs: { q: caseId }, output: 'x', latencyMs: 3, diagnostics: [] },
    ],
    diagnostics: [],
    latencyMs: 12,
  };
}
