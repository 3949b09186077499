/** Writes the session report and its companions (memory, change log) into one directory. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderChangeLog } from '../fapo/memory.ts';
import { buildSessionReport, REPORT_FILES } from './build.ts';
import { renderSessionHtml } from './html.ts';
import { renderSessionMarkdown } from './markdown.ts';
import type { SessionReportInput } from './types.ts';

export type SessionReportPaths = Record<keyof typeof REPORT_FILES, string>;

export function writeSessionReport(dir: string, input: SessionReportInput): SessionReportPaths {
  const data = buildSessionReport(input);
  const seqs = new Map(input.store.listVariants().map((v) => [v.hash, v.seq]));
  const contents: Record<keyof typeof REPORT_FILES, string> = {
    markdown: renderSessionMarkdown(data),
    json: `${JSON.stringify(data, null, 2)}\n`,
    html: renderSessionHtml(data),
    memory: input.memory.map((r) => `${JSON.stringify(r)}\n`).join(''),
    changelog: renderChangeLog(input.memory, (hash) => seqs.get(hash)),
  };
  mkdirSync(dir, { recursive: true });
  const paths = Object.fromEntries(
    Object.keys(REPORT_FILES).map((k) => [k, join(dir, REPORT_FILES[k as keyof typeof REPORT_FILES])]),
  ) as SessionReportPaths;
  for (const key of Object.keys(contents) as (keyof typeof REPORT_FILES)[]) writeFileSync(paths[key], contents[key]);
  return paths;
}
