/**
 * The explorer's routes without a browser: pages, SQL-side paging/filtering/sorting, the token guard,
 * escaping of hostile text and the security headers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUiApp, PAGE_SIZE } from '../../src/ui/app.ts';
import { openServed, openWorkspaces, type Workspace } from '../../src/ui/workspaces.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FapoError } from '../../src/util/errors.ts';
import { benchFolder, CASES, hostileWorkspace, XSS } from './fixtures.ts';

describe('fapo ui routes', () => {
  let workspaces: Workspace[];
  let runs: [string, string];
  before(() => {
    const ws = hostileWorkspace();
    runs = ws.runs;
    workspaces = openWorkspaces([ws.dir]);
  });
  after(() => {
    for (const w of workspaces) w.store.close();
  });

  it('lists the workspace and its runs, with a strict CSP and no live hostile markup', async () => {
    const app = createUiApp({ workspaces });
    const res = await app.request('/');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    const page = await res.text();
    assert.match(page, /hostile-ws/);
    assert.ok(page.includes(runs[0].slice(0, 12)));
    const variant = await (await app.request(`/w/hostile-ws/variant/v2`)).text();
    assert.ok(!variant.includes(XSS), 'the raw script never appears');
    assert.ok(variant.includes('&lt;script&gt;window.__xss = 1&lt;/script&gt;'), 'it appears escaped');
  });

  it('pages, filters and sorts a run in SQL', async () => {
    const app = createUiApp({ workspaces });
    const first = await (await app.request(`/w/hostile-ws/run/${runs[0]}`)).text();
    assert.match(first, new RegExp(`Results 1–${PAGE_SIZE} of ${CASES}\\.`));
    assert.match(first, /next page/);
    const last = await (await app.request(`/w/hostile-ws/run/${runs[0]}?offset=100`)).text();
    assert.match(last, /Results 101–120 of 120\./);
    assert.doesNotMatch(last, /next page/);
    const errors = await (await app.request(`/w/hostile-ws/run/${runs[0]}?status=task_error`)).text();
    assert.match(errors, /of 24\./, 'every fifth case is a task error');
    const search = await (await app.request(`/w/hostile-ws/run/${runs[0]}?q=case-00`)).text();
    assert.match(search, /Results 1–10 of 10\./);
    const wildcard = await (await app.request(`/w/hostile-ws/run/${runs[0]}?q=${encodeURIComponent('%_')}`)).text();
    assert.match(wildcard, /No result matches\./, 'LIKE wildcards in a search are literal');
    const byScore = await (await app.request(`/w/hostile-ws/run/${runs[0]}?sort=score&desc=1&status=ok`)).text();
    const scores = [...byScore.matchAll(/<td>ok<\/td><td>([0-9.]+)<\/td>/g)].map((m) => Number(m[1]));
    assert.ok(scores.length > 10);
    assert.deepEqual(
      scores,
      [...scores].sort((a, b) => b - a),
      'sorted by score, descending',
    );
  });

  it('shows a case with its steps, and the same case side by side across runs', async () => {
    const app = createUiApp({ workspaces });
    const page = await (await app.request(`/w/hostile-ws/run/${runs[0]}/case/case-001?trial=0`)).text();
    assert.match(page, /question 1/);
    assert.match(page, /cache hit|sim:qa/);
    assert.ok(page.includes(`/w/hostile-ws/compare/${runs[0]}/${runs[1]}/case-001`));
    const compare = await (await app.request(`/w/hostile-ws/compare/${runs[0]}/${runs[1]}/case-001`)).text();
    assert.match(compare, /base answer 1/);
    assert.match(compare, /child answer 1/);
  });

  it('answers 404 with a page for unknown things', async () => {
    const app = createUiApp({ workspaces });
    assert.equal((await app.request('/w/nope')).status, 404);
    assert.equal((await app.request('/w/hostile-ws/run/nope')).status, 404);
    assert.equal((await app.request('/w/hostile-ws/variant/zz')).status, 404);
  });

  it('with a token, refuses requests without it and accepts the token or its cookie', async () => {
    const app = createUiApp({ workspaces, token: 'secret-token' });
    assert.equal((await app.request('/')).status, 401);
    assert.equal((await app.request('/?token=wrong')).status, 401);
    const ok = await app.request('/?token=secret-token');
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /href="\/w\/hostile-ws\/run\/[0-9a-f]+\?token=secret-token"/);
    const cookie = ok.headers.get('set-cookie')?.split(';')[0] ?? '';
    assert.match(cookie, /^fapo_token=secret-token$/);
    assert.equal((await app.request('/assets/app.css', { headers: { cookie } })).status, 200);
  });

  it("shows a bench folder's study table with its paired statistics, escaped", async () => {
    const { root } = benchFolder();
    const served = openServed([root]);
    try {
      const app = createUiApp(served);
      const home = await (await app.request('/')).text();
      assert.match(home, /href="\/study\/study-1"/);
      assert.match(home, /hostile-ws/, 'the cell workspace is served too');
      const study = await (await app.request('/study/study-1')).text();
      assert.match(study, /1 wins, 0 ties, 0 losses over 1 cells/);
      assert.match(study, /58\.0 ± 1\.4/);
      assert.match(study, /fapo − gepa<\/td><td>6\.0<\/td><td>\[1\.5, 10\.2\]/);
      assert.ok(!study.includes(XSS) && study.includes('&lt;script&gt;'));
    } finally {
      for (const w of served.workspaces) w.store.close();
    }
  });

  it('a damaged study table is a clear error naming the file', () => {
    const { root } = benchFolder();
    writeFileSync(join(root, 'bench-table.json'), '{"header": 1}');
    assert.throws(
      () => openServed([root]),
      (err: unknown) => err instanceof FapoError && /bench-table\.json: not a fapo bench table/.test(err.message),
    );
  });
});
