export { buildSessionReport, REPORT_FILES, savings } from './build.ts';
export { renderSessionMarkdown } from './markdown.ts';
export { renderSessionHtml } from './html.ts';
export { renderTrajectorySvg } from './chart.ts';
export { lineageFromGepa } from './lineage.ts';
export { writeSessionReport, type SessionReportPaths } from './write.ts';
export type {
  AcceptedVariant,
  LineageInput,
  RoleCompute,
  ScoreSummary,
  SessionReportData,
  SessionReportInput,
  TaskCallSavings,
} from './types.ts';
export { loadSessionReportInput } from './load.ts';
