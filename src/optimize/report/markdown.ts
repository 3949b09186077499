/** The session report as Markdown (report.md). */
import { renderAttributionMarkdown } from '../../attribution/markdown.ts';
import { candidateLabel, lineageForest, type LineageNode } from './lineage.ts';
import {
  acceptedLines,
  acceptedTitle,
  COMPUTE_HEADER,
  computeNotes,
  conventionsText,
  exhaustionLine,
  lineageText,
  modelLabel,
  summaryLines,
  TEST_HEADER,
  testDifference,
  testRows,
  TRAJECTORY_HEADER,
  trajectoryCells,
  usageCells,
} from './sentences.ts';
import type { SessionReportData } from './types.ts';
import { markdownText } from '../../util/markdown.ts';

function table(header: string[], rows: string[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(markdownText).join(' | ')} |`),
  ];
}

const bullets = (lines: string[]): string[] => lines.map((l) => `- ${markdownText(l)}`);

/** A fenced block whose fence is longer than any backtick run in the content. */
function fenced(lang: string, content: string): string[] {
  const longest = Math.max(2, ...[...content.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return [fence + lang, content.replace(/\n$/, ''), fence];
}

/** Nests another document's headings under this one's `##` sections. */
const demoteHeadings = (markdown: string, by: number): string =>
  markdown.replace(/^(#+) /gm, (_, h: string) => `${h}${'#'.repeat(by)} `);

export function renderSessionMarkdown(d: SessionReportData): string {
  const out: string[] = [`# ${markdownText(d.title)}`, ''];
  if (d.simNotice) out.push(`> **Simulated model.** ${markdownText(d.simNotice)}`, '');
  out.push(
    '## Summary',
    '',
    ...bullets(summaryLines(d)),
    `- Iteration memory: [${d.files.memory}](${d.files.memory}); change log: [${d.files.changelog}](${d.files.changelog})`,
    '',
  );
  out.push(`_Conventions: ${markdownText(conventionsText(d))}_`, '');
  out.push('## Scope contract', '', ...bullets(d.scope.lines), '');
  out.push(
    '## Validation trajectory',
    '',
    ...table(
      TRAJECTORY_HEADER,
      d.trajectory.map((p) => trajectoryCells(d, p)),
    ),
    '',
  );
  out.push(...accepted(d), '');
  out.push(...rounds(d), '');
  out.push(
    '## Test scores (evaluated once, after the search)',
    '',
    ...table(TEST_HEADER, testRows(d)),
    '',
    testDifference(d),
    '',
  );
  out.push(...compute(d), '');
  if (d.lineage) out.push(...lineage(d), '');
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

function accepted(d: SessionReportData): string[] {
  const out = ['## Accepted variants', ''];
  if (d.accepted.length === 0) return [...out, 'No variant beat the baseline; the baseline stays selected.'];
  for (const a of d.accepted) {
    out.push(`### ${acceptedTitle(a)}`, '', ...bullets(acceptedLines(a)), '');
    out.push(
      ...(a.diff === null
        ? ['_Diff unavailable: the variant or its parent is not in the store._']
        : fenced('diff', a.diff)),
      '',
    );
  }
  return out;
}

function rounds(d: SessionReportData): string[] {
  const out = ['## Attribution per round', ''];
  if (d.rounds.length === 0) out.push('No attribution was recorded in this session.', '');
  for (const report of d.rounds) out.push(demoteHeadings(renderAttributionMarkdown(report), 2), '');
  if (d.exhaustion.length > 0) out.push('### Levels exhausted', '', ...bullets(d.exhaustion.map(exhaustionLine)));
  return out;
}

function compute(d: SessionReportData): string[] {
  return [
    '## Compute spent',
    '',
    ...table(COMPUTE_HEADER, [
      ...d.compute.roles.map((r) => [r.role, modelLabel(r.model), ...usageCells(r)]),
      ['total', '', ...usageCells(d.compute.total)],
    ]),
    '',
    ...bullets(computeNotes(d)),
  ];
}

function lineage(d: SessionReportData): string[] {
  const render = (node: LineageNode, depth: number): string[] => [
    `${'  '.repeat(depth)}- ${markdownText(`${candidateLabel(node.candidate)}: ${lineageText(node)}`)}`,
    ...node.children.flatMap((child) => render(child, depth + 1)),
  ];
  return ['## Candidate lineage', '', ...lineageForest(d.lineage!).flatMap((root) => render(root, 0))];
}
