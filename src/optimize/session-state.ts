import type { Store } from '../eval/store.ts';

/**
 * Persisted, memoized stages of an optimization session. A resumed session replays the same control
 * flow; every stage that completed before the kill returns its stored result instead of running
 * again, so no proposal is re-made and no evaluation re-paid, and the end result is the same.
 */
export class SessionState {
  /** Called after every memoized stage is stored (the session saves the meter and wall time). */
  onStore?: () => void;

  constructor(
    private readonly store: Store,
    readonly id: string,
  ) {}

  private get kind(): string {
    return `session:${this.id}`;
  }

  get<T>(key: string): T | undefined {
    return this.store.getDoc<T>(this.kind, key);
  }

  put(key: string, value: unknown): void {
    this.store.putDoc(this.kind, key, value);
  }

  /** Runs `fn` once per key for the life of the session; later calls (and resumes) get its result. */
  async memo<T>(key: string, fn: () => Promise<T> | T): Promise<T> {
    const found = this.store.getDoc<{ value: T }>(this.kind, `memo:${key}`);
    if (found) return found.value;
    const value = await fn();
    this.store.putDoc(this.kind, `memo:${key}`, { value });
    this.onStore?.();
    return value;
  }

  list<T>(prefix: string): { id: string; value: T }[] {
    return this.store.listDocs<T>(this.kind, { prefix });
  }
}
