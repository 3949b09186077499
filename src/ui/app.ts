/**
 * `fapo ui`'s web app: read-only routes over the workspaces' stores (Hono). Pages are server
 * rendered (views.ts); large runs are paged, filtered and sorted in SQL. A strict
 * Content-Security-Policy forbids scripts and foreign resources, so even text that escaped the views'
 * escaping could not run. When a token is set, every request must carry it (query `token`, or the
 * cookie set on the first visit). On loopback the Host header must name the server itself: a page
 * served from elsewhere could otherwise rebind its own name to 127.0.0.1 (DNS rebinding) and read
 * every page, test answers included. The app is read-only, so any method but GET and HEAD is refused.
 */
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { type ResultSort, RESULT_SORTS } from '../eval/store.ts';
import type { CaseStatus } from '../eval/types.ts';
import type { AttributionReport } from '../attribution/report.ts';
import { ATTRIBUTION_DOC } from '../optimize/fapo/controller.ts';
import { buildSessionReport } from '../optimize/report/build.ts';
import { renderTrajectorySvg, TRAJECTORY_CSS } from '../optimize/report/chart.ts';
import { loadSessionReportInput } from '../optimize/report/load.ts';
import { diffVariant, renderDiff } from '../optimize/review/diff.ts';
import type { OptimizeEvent } from '../optimize/events.ts';
import { SessionState } from '../optimize/session-state.ts';
import { listSessions, type SessionOutcome, sessionEventKind } from '../optimize/session.ts';
import {
  casePage,
  comparePage,
  homePage,
  layout,
  notFound,
  type PageLinks,
  runPage,
  sessionPage,
  studyPage,
  variantPage,
} from './views.ts';
import type { BenchStudy } from './bench-study.ts';
import type { Workspace } from './workspaces.ts';

export const PAGE_SIZE = 50;
const STATUSES: readonly CaseStatus[] = ['ok', 'task_error', 'infra_error', 'scorer_error'];
const CSP =
  "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const CSS = `${readFileSync(new URL('./assets/app.css', import.meta.url), 'utf8')}\n${TRAJECTORY_CSS}\n`;

export interface UiOptions {
  workspaces: Workspace[];
  studies?: BenchStudy[];
  /** Required on every request when set (the server is bound beyond loopback). */
  token?: string;
  /**
   * Host header values (`host:port`) the server answers to; unset, any. A set, not a list, so that
   * the server can add its port once it is listening.
   */
  allowedHosts?: ReadonlySet<string>;
}

export function createUiApp(options: UiOptions): Hono {
  const app = new Hono();
  const byId = new Map(options.workspaces.map((w) => [w.id, w]));
  const links = (token: string | undefined): PageLinks => ({
    href: (path) => (token ? `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}` : path),
  });

  app.use('*', async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD')
      return c.text('fapo ui is read-only: only GET and HEAD are answered', 405, { allow: 'GET, HEAD' });
    const host = c.req.header('host')?.toLowerCase();
    if (options.allowedHosts && (!host || !options.allowedHosts.has(host)))
      return c.text(
        `fapo ui: refusing Host "${host ?? ''}"; open the address printed at the server's start (${[...options.allowedHosts][0] ?? ''})`,
        421,
      );
    if (options.token) {
      const given = c.req.query('token') ?? getCookie(c, 'fapo_token');
      if (given !== options.token) return c.text('fapo ui: this server needs the token printed at its start', 401);
      setCookie(c, 'fapo_token', options.token, { httpOnly: true, sameSite: 'Strict', path: '/' });
    }
    await next();
    c.header('Content-Security-Policy', CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
  });

  const l = (c: { req: { query(name: string): string | undefined } }) =>
    links(options.token && c.req.query('token') ? options.token : undefined);

  app.get('/assets/app.css', (c) => c.body(CSS, 200, { 'content-type': 'text/css; charset=utf-8' }));

  app.get('/', (c) =>
    c.html(layout('Workspaces', l(c), homePage(options.workspaces.map(summary), l(c), options.studies ?? []))),
  );

  app.get('/study/:id', (c) => {
    const study = options.studies?.find((s) => s.id === c.req.param('id'));
    if (!study) return c.html(notFound('No such bench study.', l(c)), 404);
    return c.html(layout(`Bench study ${study.id}`, l(c), studyPage(study)));
  });

  app.get('/w/:ws', (c) => {
    const w = byId.get(c.req.param('ws'));
    if (!w) return c.html(notFound('No such workspace.', l(c)), 404);
    return c.html(layout(w.id, l(c), homePage([summary(w)], l(c))));
  });

  app.get('/w/:ws/session/:id', (c) => {
    const w = byId.get(c.req.param('ws'));
    const session = w && listSessions(w.store).find((s) => s.id === c.req.param('id'));
    if (!w || !session) return c.html(notFound('No such session.', l(c)), 404);
    const events = w.store.events<OptimizeEvent>(sessionEventKind(session.id));
    const outcome = new SessionState(w.store, session.id).get<SessionOutcome>('outcome');
    const chart = outcome
      ? renderTrajectorySvg(buildSessionReport(loadSessionReportInput(w.store, outcome)))
      : undefined;
    const withLast = { ...session, ...(events.length ? { lastEventAt: events.at(-1)!.at } : {}) };
    const trainRuns = w.store.listRuns({ split: 'train' });
    const rounds = w.store.listDocs<AttributionReport>(ATTRIBUTION_DOC, { prefix: `${session.id}:` }).map((d) => {
      const run = trainRuns.find(
        (r) => r.spec.variant === d.value.variant && r.spec.purpose === `optimize:${session.id}`,
      );
      return { id: d.id, report: d.value, ...(run ? { trainRunId: run.id } : {}) };
    });
    return c.html(
      layout(
        `Session ${session.id}`,
        l(c),
        sessionPage(
          w,
          withLast,
          events.map((e) => e.value),
          rounds,
          outcome?.usage,
          chart,
          l(c),
        ),
        session.state === 'running' ? 5 : undefined,
      ),
    );
  });

  app.get('/w/:ws/run/:id', (c) => {
    const w = byId.get(c.req.param('ws'));
    const run = w?.store.getRun(c.req.param('id'));
    if (!w || !run) return c.html(notFound('No such run.', l(c)), 404);
    const status = STATUSES.find((s) => s === c.req.query('status'));
    const sort = RESULT_SORTS.find((s) => s === c.req.query('sort')) ?? 'case';
    const search = c.req.query('q')?.trim() || undefined;
    const offset = Math.max(0, Number.parseInt(c.req.query('offset') ?? '0', 10) || 0);
    const descending = c.req.query('desc') === '1';
    const page = w.store.resultsPage(run.id, {
      offset,
      limit: PAGE_SIZE,
      sort: sort as ResultSort,
      descending,
      ...(status ? { status } : {}),
      ...(search ? { search } : {}),
    });
    const state = {
      sort,
      descending,
      offset,
      limit: PAGE_SIZE,
      ...(status ? { status } : {}),
      ...(search ? { search } : {}),
    };
    return c.html(layout(`Run ${run.id.slice(0, 12)}`, l(c), runPage(w, run, page, state, l(c))));
  });

  app.get('/w/:ws/run/:id/case/:caseId', (c) => {
    const w = byId.get(c.req.param('ws'));
    const run = w?.store.getRun(c.req.param('id'));
    const caseId = c.req.param('caseId');
    const trial = Number.parseInt(c.req.query('trial') ?? '0', 10) || 0;
    const result = run && w?.store.resultsFor(run.id, [caseId]).find((r) => r.trial === trial);
    if (!w || !run || !result) return c.html(notFound('No such case in this run.', l(c)), 404);
    const seqOf = new Map(w.store.listVariants().map((v) => [v.hash, v.seq]));
    const others = w.store
      .listRuns({ split: run.spec.split })
      .filter((r) => r.id !== run.id && r.spec.variant !== run.spec.variant && r.spec.caseIds.includes(caseId))
      .map((r) => ({ run: r, seq: seqOf.get(r.spec.variant) }));
    return c.html(layout(`Case ${caseId}`, l(c), casePage(w, run, result, others, l(c))));
  });

  app.get('/w/:ws/compare/:left/:right/:caseId', (c) => {
    const w = byId.get(c.req.param('ws'));
    const left = w?.store.getRun(c.req.param('left'));
    const right = w?.store.getRun(c.req.param('right'));
    if (!w || !left || !right) return c.html(notFound('No such runs.', l(c)), 404);
    const caseId = c.req.param('caseId');
    const seqOf = new Map(w.store.listVariants().map((v) => [v.hash, v.seq]));
    const side = (run: typeof left) => ({
      run,
      seq: seqOf.get(run.spec.variant),
      result: w.store.resultsFor(run.id, [caseId])[0],
    });
    return c.html(layout(`Case ${caseId}, side by side`, l(c), comparePage(w, side(left), side(right), l(c))));
  });

  app.get('/w/:ws/variant/:ref', (c) => {
    const w = byId.get(c.req.param('ws'));
    let variant: ReturnType<Workspace['store']['getVariant']>;
    try {
      variant = w?.store.getVariant(c.req.param('ref'));
    } catch {
      variant = undefined;
    }
    if (!w || !variant) return c.html(notFound('No such variant.', l(c)), 404);
    const parent = variant.parent ? w.store.getVariant(variant.parent) : undefined;
    const diff = parent ? renderDiff(diffVariant(parent, variant)) : '';
    return c.html(layout(`Variant v${variant.seq}`, l(c), variantPage(w, variant, parent, diff, l(c))));
  });

  return app;
}

function summary(w: Workspace) {
  const sessions = listSessions(w.store).map((s) => {
    const last = w.store.events(sessionEventKind(s.id)).at(-1);
    return last ? { ...s, lastEventAt: last.at } : s;
  });
  return { id: w.id, dir: w.dir, sessions, runs: w.store.listRuns(), variants: w.store.listVariants() };
}
