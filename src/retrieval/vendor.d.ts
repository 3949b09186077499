// Type declarations for wink-bm25-text-search, which ships none.

declare module 'wink-bm25-text-search' {
  interface WinkBm25Config {
    fldWeights: Record<string, number>;
    bm25Params?: { k1?: number; b?: number; k?: number };
    ovFieldNames?: string[];
  }
  interface WinkBm25Engine {
    defineConfig(config: WinkBm25Config): boolean;
    definePrepTasks(tasks: Array<(input: string) => string[]>, field?: string): number;
    addDoc(doc: Record<string, string>, id: string): number;
    /** `fp` = decimal digits kept for the precomputed per-term scores (4..9). */
    consolidate(fp?: number): boolean;
    /** `[id, score]` pairs, best first, at most `limit`. */
    search(text: string, limit?: number): Array<[string, number]>;
    exportJSON(): string;
    importJSON(json: string): boolean;
    getTotalDocs(): number;
  }
  const create: () => WinkBm25Engine;
  export default create;
}
