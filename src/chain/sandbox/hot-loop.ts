/**
 * Keeps this process's event loop polling (a chain of setImmediate callbacks) for a short window
 * after sandbox IPC traffic instead of letting it sleep in epoll: on a small VM a sleeping process
 * takes ~100 µs to wake up for the next message, which was most of a sandboxed step's cost with a
 * fast model. The window is short, so a slow model costs at most that much busy polling per message.
 */
export function hotLoop(windowMs: number): () => void {
  let until = 0;
  let running = false;
  const tick = (): void => {
    if (performance.now() < until) setImmediate(tick);
    else running = false;
  };
  return () => {
    until = performance.now() + windowMs;
    if (!running) {
      running = true;
      setImmediate(tick);
    }
  };
}
