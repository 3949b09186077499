export interface Passage {
  id: string;
  title: string;
  text: string;
  score: number;
}

/** A named searchable resource of a task (e.g. a BM25 index over a JSONL corpus). */
export interface Retriever {
  readonly name: string;
  /** Identifies the content and settings behind the results (a changed corpus changes it); part of run identity. */
  readonly fingerprint?: string;
  search(query: string, k: number): Passage[];
}
