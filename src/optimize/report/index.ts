export { buildSessionReport, REPORT_FILES } from './build.ts';
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
} from './types.ts';
export { loadSessionReportInput } from './load.ts';
