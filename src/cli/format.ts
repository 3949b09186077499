import Table from 'cli-table3';
import pc from 'picocolors';

/** cli-table3 colours even when piped; plain borders unless stdout is a terminal. */
export function table(head: string[]): Table.Table {
  const tty = Boolean(process.stdout.isTTY);
  return new Table({ head: tty ? head.map((h) => pc.bold(h)) : head, style: tty ? {} : { head: [], border: [] } });
}

export function simNotice(modelIds: string[]): string | undefined {
  return modelIds.some((id) => id.startsWith('sim:'))
    ? "note: `sim` is fapo's deterministic offline stand-in, not a real model; its scores only show the machinery working."
    : undefined;
}

/** Calls cut off by a kill, which budgets count at their worst case (the ledger, meter.ts). */
export function unsettledNote(u: { unsettledCalls?: number; unsettledCostUsd?: number }): string | undefined {
  if (!u.unsettledCalls) return undefined;
  return `${u.unsettledCalls} call(s) were in flight when a process was killed; budgets count them at their worst case ($${(u.unsettledCostUsd ?? 0).toFixed(4)}), the figures above do not`;
}
