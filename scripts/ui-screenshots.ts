/**
 * Screenshots of the explorer's main views for docs/ui.md, taken in Debian's Chromium from the
 * offline demo's workspace (sim:qa stand-in, not a real model):
 *   npx fapo demo --dir /tmp/fapo-demo && npx tsx scripts/ui-screenshots.ts /tmp/fapo-demo
 */
import { join } from 'node:path';
import { serveUi } from '../src/ui/serve.ts';
import { launchChromium } from '../test/fixtures/chromium.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: tsx scripts/ui-screenshots.ts <demo workspace>');
const out = join(import.meta.dirname, '..', 'docs', 'img');
const ui = await serveUi({ dirs: [dir] });
const { browser, close } = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const shot = (name: string) => page.screenshot({ path: join(out, `ui-${name}.png`), fullPage: false });
  await page.goto(ui.url);
  await shot('workspaces');
  await page.getByRole('link', { name: 's1' }).first().click();
  await shot('session');
  await page.goto(ui.url);
  await page.locator('a[href*="/run/"]').first().click();
  await page.getByLabel('status').selectOption('ok');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByRole('link', { name: 'score' }).click();
  await shot('run');
  await page.locator('tbody a').first().click();
  await shot('case');
  const compare = page.getByRole('link', { name: /compare with/ }).first();
  if (await compare.count()) {
    await compare.click();
    await shot('compare');
  }
} finally {
  await close();
  await ui.close();
}
