import { deserialize, serialize } from 'node:v8';

/**
 * The byte stream between the parent and a sandbox child (a socket pair on fd 3, not Node's IPC
 * channel): each message is a 4-byte big-endian length and a V8-serialized value, so `undefined`,
 * Dates and Maps in step outputs survive as they would in-process. The parent reads the length
 * before buffering a message, so a child cannot make it hold more than its cap.
 */

export const HEADER_BYTES = 4;
/** The largest length the header can express. */
const MAX_FRAME = 2 ** 32 - 1;

/** One message as bytes; throws (like `process.send`) for values V8 cannot serialize (functions). */
export function frame(message: unknown): Buffer {
  const body = serialize(message);
  if (body.length > MAX_FRAME) throw new RangeError(`message of ${body.length} bytes is too large to send`);
  const head = Buffer.allocUnsafe(HEADER_BYTES);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

export interface FrameHandlers {
  /** A whole message arrived; `bytes` is its serialized size. */
  message(value: unknown, bytes: number): void;
  /** A message announced more than the cap: nothing of it is buffered, and reading stops. */
  oversize(bytes: number): void;
  /** The bytes do not deserialize (hand-written by chain code, or nested too deep for V8): reading stops. */
  malformed(reason: string): void;
}

/** Splits a byte stream into messages, refusing any over `maxBytes` before buffering it. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private stopped = false;

  constructor(
    private readonly maxBytes: number,
    private readonly on: FrameHandlers,
  ) {}

  push(chunk: Buffer): void {
    if (this.stopped) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (!this.stopped && this.buffered >= HEADER_BYTES) {
      const length = this.peekLength();
      if (length > this.maxBytes) {
        this.stop();
        return this.on.oversize(length);
      }
      if (this.buffered < HEADER_BYTES + length) return;
      const body = this.take(HEADER_BYTES + length).subarray(HEADER_BYTES);
      let value: unknown;
      try {
        value = deserialize(body);
      } catch (err) {
        this.stop();
        return this.on.malformed(err instanceof Error ? err.message : String(err));
      }
      this.on.message(value, length);
    }
  }

  private stop(): void {
    this.stopped = true;
    this.chunks = [];
    this.buffered = 0;
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length >= HEADER_BYTES) return first.readUInt32BE(0);
    return Buffer.concat(this.chunks).readUInt32BE(0);
  }

  /** The first `n` buffered bytes, removed from the buffer (one copy per message at most). */
  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return all.subarray(0, n);
  }
}

/**
 * Whether a deserialized value nests deeper than `maxDepth` or expands to more than `maxNodes` values
 * (shared references count each time, as JSON would write them; a cycle never ends, so it fails
 * too). Iterative, so it cannot overflow the stack itself; what passes is safe for the parent's
 * recursive code (JSON, hashing, zod).
 */
export function tooDeep(value: unknown, maxDepth: number, maxNodes: number): string | undefined {
  const stack: [unknown, number][] = [[value, 0]];
  let nodes = 0;
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (++nodes > maxNodes) return `more than ${maxNodes} values (or a circular reference)`;
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) continue;
    if (depth >= maxDepth) return `nested deeper than ${maxDepth} levels (or a circular reference)`;
    const children =
      v instanceof Map ? [...v.keys(), ...v.values()] : v instanceof Set ? [...v] : Object.values(v as object);
    for (const child of children) stack.push([child, depth + 1]);
  }
  return undefined;
}
