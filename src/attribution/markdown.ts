/** Human-readable rendering of an attribution report (run summaries, `fapo attribute`). */
import type { AttributionReport } from './report.ts';
import { truncate } from './text.ts';
import { LEVEL_COST_ORDER } from './types.ts';
import { markdownText } from '../util/markdown.ts';

const EVIDENCE_CELL_CHARS = 400;

const cell = markdownText;

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

export function renderAttributionMarkdown(report: AttributionReport): string {
  const title = `# Failure attribution: variant ${report.variant}${report.round !== undefined ? `, round ${report.round}` : ''}`;
  const summary = [
    `- Train cases evaluated: ${report.evaluatedCases}; pass rate ${percent(report.passRate)}; failed cases: ${report.cases.length}`,
    `- Infrastructure failures (excluded, not pipeline failures): ${report.infrastructure.count}${report.infrastructure.count ? ` (${report.infrastructure.caseIds.join(', ')})` : ''}`,
    `- Scorer errors (excluded): ${report.scorerErrors.count}${report.scorerErrors.count ? ` (${report.scorerErrors.caseIds.join(', ')})` : ''}`,
    `- Analyst: ${report.analyst.enabled ? `${report.analyst.cases} cases in ${report.analyst.calls} calls, ${report.analyst.failures.length} failures` : 'off'}`,
  ];
  const sections = [
    title,
    summary.join('\n'),
    `## Recommended level\n\n**${report.recommendedLevel}** (allowed: ${report.allowedLevels.join(', ')}; the allowed level with the most addressable failures, ties to the cheaper level)`,
    `## Level partition\n\n${table(
      ['Level', 'Failed cases', 'Clusters', 'Allowed'],
      LEVEL_COST_ORDER.map((level) => [
        level,
        String(report.levelPartition[level].count),
        report.levelPartition[level].clusters.join(', ') || '-',
        report.allowedLevels.includes(level) ? 'yes' : 'no',
      ]),
    )}`,
    `## Ceiling estimates\n\nUpper bounds: the current pass rate plus every failure attributed to the level, if all were fixed.\n\n${table(
      ['Scope', 'Ceiling'],
      [
        ['prompt', percent(report.ceilingEstimate.prompt)],
        ['param', percent(report.ceilingEstimate.param)],
        ['structure', percent(report.ceilingEstimate.structure)],
        [`combined (${report.allowedLevels.join(' + ')})`, percent(report.ceilingEstimate.combined)],
      ],
    )}`,
    `## Clusters\n\n${
      report.clusters.length === 0
        ? 'No failures.'
        : table(
            ['Cluster', 'Count', 'Label', 'Step', 'Level', 'Confidence', 'Pattern', 'Examples', 'Suggested fix'],
            report.clusters.map((c) => [
              c.id,
              String(c.count),
              c.label,
              c.step,
              c.level,
              c.confidence,
              c.pattern,
              c.caseIds.join(', '),
              c.suggestedFix,
            ]),
          )
    }`,
    `## Failed cases\n\n${
      report.cases.length === 0
        ? 'No failures.'
        : table(
            ['Case', 'Label', 'Step', 'Level', 'Confidence', 'Rule', 'Failed trials', 'Evidence'],
            report.cases.map((a) => [
              a.caseId,
              a.label,
              a.step,
              a.level,
              a.confidence,
              a.rule,
              `${a.trials.failed}/${a.trials.total}`,
              truncate(a.evidence.join('; '), EVIDENCE_CELL_CHARS),
            ]),
          )
    }`,
  ];
  if (report.analyst.failures.length > 0) {
    sections.push(
      `## Analyst failures (rule labels kept)\n\n${table(
        ['Cases', 'Error'],
        report.analyst.failures.map((f) => [f.caseIds.join(', ') || '-', f.error]),
      )}`,
    );
  }
  return `${sections.join('\n\n')}\n`;
}
