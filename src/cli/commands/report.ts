import { join } from 'node:path';
import { Store } from '../../eval/store.ts';
import { loadSessionReportInput } from '../../optimize/report/load.ts';
import { writeSessionReport } from '../../optimize/report/write.ts';
import { SessionState } from '../../optimize/session-state.ts';
import type { SessionOutcome, SessionRecord } from '../../optimize/session.ts';
import { readTask } from '../../task/load.ts';
import { FapoError } from '../../util/errors.ts';

/** Writes a finished session's report (Markdown, JSON, HTML, memory, change log) into the workspace. */
export function writeReportFor(store: Store, taskDir: string, taskName: string, outcome: SessionOutcome): string {
  const dir = join(taskDir, '.fapo', 'sessions', outcome.session.id);
  writeSessionReport(dir, loadSessionReportInput(store, outcome, { taskName, taskModel: outcome.taskModel }));
  return dir;
}

/** `fapo report <task> [--session id]`: (re)writes and locates a session's report. */
export async function reportCommand(taskDir: string, flags: { session?: string }): Promise<number> {
  const task = await readTask(taskDir);
  const store = Store.open(task.dir);
  try {
    const sessions = store
      .listDocs<SessionRecord>('sessions')
      .map((d) => d.value)
      .filter((s) => s.state === 'complete');
    const session = flags.session ? sessions.find((s) => s.id === flags.session) : sessions.at(-1);
    if (!session)
      throw new FapoError(
        flags.session ? `no finished session "${flags.session}"` : 'no finished optimization session yet',
        'Run `fapo optimize <task>` first (or `--resume` an unfinished one).',
      );
    const outcome = new SessionState(store, session.id).get<SessionOutcome>('outcome');
    if (!outcome)
      throw new FapoError(
        `session ${session.id} has no stored outcome`,
        'It was run by an older fapo; run a new session.',
      );
    const dir = writeReportFor(store, task.dir, task.manifest.name, outcome);
    console.log(
      `report for session ${session.id}:\n  ${join(dir, 'report.md')}\n  ${join(dir, 'report.html')}\n  ${join(dir, 'report.json')}\n  ${join(dir, 'changelog.md')}\n  ${join(dir, 'memory.jsonl')}`,
    );
    return 0;
  } finally {
    store.close();
  }
}
