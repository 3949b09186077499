/**
 * Where wall time goes when N calls share `slots` concurrent slots: for bench:eval's latency bound.
 * With in-flight calls never above `slots`, wall time = Σ call durations / slots + the slot time left
 * idle, exactly; the bound is calls × latency / slots. So wall − bound splits into the calls' own
 * excess over the nominal latency and idle slot time, the latter by when it happened.
 */
export interface CallSpan {
  start: number;
  end: number;
}

export interface SlotBreakdown {
  wallMs: number;
  boundMs: number;
  /** (Σ durations − calls × latency) / slots: HTTP, SDK, late server timers. */
  callExcessMs: number;
  /** Idle slot time / slots before the first call started. */
  idleBeforeFirstMs: number;
  /** ... while calls ran, before the tail. */
  idleGapsMs: number;
  /** ... from the last moment every slot was busy until the last call ended (the ramp-down). */
  idleTailMs: number;
  /** ... after the last call ended (results, scoring, store). */
  idleAfterLastMs: number;
  /** Mean call duration. */
  meanCallMs: number;
}

export function slotBreakdown(
  calls: readonly CallSpan[],
  slots: number,
  latencyMs: number,
  t0: number,
  t1: number,
): SlotBreakdown {
  const events = calls.flatMap((c) => [
    { at: c.start, d: 1 },
    { at: c.end, d: -1 },
  ]);
  events.sort((a, b) => a.at - b.at || a.d - b.d);
  const first = events[0]?.at ?? t1;
  const last = events.at(-1)?.at ?? t1;
  // The tail starts when in-flight last fell from `slots`.
  let inFlight = 0;
  let tailStart = first;
  for (const e of events) {
    if (inFlight >= slots && inFlight + e.d < slots) tailStart = e.at;
    inFlight += e.d;
  }
  let idleGaps = 0;
  let idleTail = 0;
  inFlight = 0;
  let at = first;
  for (const e of events) {
    const idle = ((slots - Math.min(slots, inFlight)) * (e.at - at)) / slots;
    if (at >= tailStart) idleTail += idle;
    else idleGaps += idle;
    inFlight += e.d;
    at = e.at;
  }
  const total = calls.reduce((sum, c) => sum + (c.end - c.start), 0);
  return {
    wallMs: t1 - t0,
    boundMs: (calls.length * latencyMs) / slots,
    callExcessMs: (total - calls.length * latencyMs) / slots,
    idleBeforeFirstMs: first - t0,
    idleGapsMs: idleGaps,
    idleTailMs: idleTail,
    idleAfterLastMs: t1 - last,
    meanCallMs: calls.length ? total / calls.length : 0,
  };
}
