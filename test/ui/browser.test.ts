/**
 * The explorer in real Chromium: the main flows (workspaces → run → filter → case → side by side;
 * a session's trajectory), keyboard focus and labels, and XSS attempts in a prompt and in model
 * outputs rendering as text with no script run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DEMO_CONFIG } from '../../src/cli/commands/demo.ts';
import { optimize } from '../../src/optimize/session.ts';
import { strategyFactory } from '../../src/optimize/strategies.ts';
import { installSimBehaviours } from '../../src/testing/index.ts';
import { type RunningUi, serveUi } from '../../src/ui/serve.ts';
import { launchChromium } from '../fixtures/chromium.ts';
import { exampleWorkspace } from '../fixtures/workspace.ts';
import { hostileWorkspace, XSS } from './fixtures.ts';

installSimBehaviours();

describe('fapo ui in Chromium', () => {
  let ui: RunningUi;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    const hostile = hostileWorkspace();
    const example = exampleWorkspace();
    await optimize({
      taskDir: example,
      config: { ...DEMO_CONFIG, sandbox: false, trials: 1, budget: { ...DEMO_CONFIG.budget, maxRounds: 2 } },
      strategy: strategyFactory('fapo'),
    });
    ui = await serveUi({ dirs: [hostile.dir, example] });
    chromium = await launchChromium();
    browser = chromium.browser;
    page = await browser.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('dialog', (dialog) => {
      pageErrors.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
  });
  after(async () => {
    await chromium?.close();
    await ui?.close();
  });

  it('binds to loopback and lists both workspaces', async () => {
    assert.match(ui.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    await page.goto(ui.url);
    assert.equal(await page.locator('main > h1').textContent(), 'Workspaces');
    assert.equal(await page.locator('section h2').count(), 2);
  });

  it('reaches the links by keyboard, with a visible focus', async () => {
    await page.goto(ui.url);
    const focused: string[] = [];
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Tab');
      focused.push(await page.evaluate(() => document.activeElement?.tagName ?? ''));
    }
    assert.ok(
      focused.every((tag) => tag === 'A'),
      focused.join(','),
    );
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    assert.notEqual(outline, 'none');
  });

  it('filters a run by status and search through labelled controls, then opens a case', async () => {
    await page.goto(ui.url);
    await page.locator('section', { hasText: 'hostile-ws' }).locator('a[href*="/run/"]').first().click();
    assert.equal(await page.locator('tbody tr').count(), 50);
    await page.getByLabel('status').selectOption('task_error');
    await page.getByRole('button', { name: 'Filter' }).click();
    assert.match((await page.locator('p[aria-live]').textContent()) ?? '', /of 24\./);
    await page.getByLabel('status').selectOption('');
    await page.getByLabel('search').fill('case-001');
    await page.getByLabel('search').press('Enter');
    assert.match((await page.locator('p[aria-live]').textContent()) ?? '', /Results 1–1 of 1\./);
    await page.getByRole('link', { name: 'case-001' }).click();
    assert.match((await page.locator('main > h1').textContent()) ?? '', /Case case-001/);
  });

  it('renders XSS attempts in model outputs and messages as text, and no script runs', async () => {
    const shown = page.getByText('<script>window.__xss = 1</script>', { exact: false });
    assert.ok((await shown.count()) >= 2, 'the hostile text is visible as text');
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    assert.equal(await page.locator('main script, main img').count(), 0);
    await page.getByRole('link', { name: /compare with v2/ }).click();
    assert.equal(await page.locator('.compare .side').count(), 2);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
  });

  it('renders an XSS attempt in a prompt diff as text', async () => {
    await page.goto(ui.url);
    await page.locator('section', { hasText: 'hostile-ws' }).getByRole('link', { name: 'v2' }).first().click();
    assert.ok((await page.locator('pre.diff').textContent())?.includes(XSS));
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
  });

  it("shows a session's variants, events and validation trajectory", async () => {
    await page.goto(ui.url);
    await page.getByRole('link', { name: 's1' }).click();
    assert.match((await page.locator('main').textContent()) ?? '', /finished/);
    assert.ok((await page.locator('table tbody tr').count()) >= 1, 'variants tried');
    assert.equal(await page.locator('svg.trajectory').count(), 1);
    assert.ok((await page.locator('ol.events li').count()) > 3);
    const compute = page.locator('table', { has: page.locator('th', { hasText: 'calls paid' }) });
    assert.ok((await compute.locator('tr', { hasText: 'task' }).count()) >= 1, 'compute per role');
    const attribution = page.locator('section[aria-label^="attribution"]');
    assert.ok((await attribution.count()) >= 1, 'attribution per round');
    await attribution.first().locator('tbody a').first().click();
    assert.match((await page.locator('main > h1').textContent()) ?? '', /^Case /, 'a cluster example opens its case');
    assert.deepEqual(pageErrors, []);
  });
});
