/**
 * The playground page, driven in Debian's chromium (playwright-core, never a downloaded
 * browser) against a real `ddim serve` on a loopback port: served cross-origin isolated, its
 * controls built from the service, 4 samples run on the server equal to the CLI's PNGs byte
 * for byte, 4 run in the browser (onnxruntime-web, WebAssembly threads) equal to them within
 * one level on at most 0.1% of pixels (and to `--backend web`'s exactly), live previews,
 * downloads, an image mode on both sides.
 *
 * A screenshot goes to the test's temp folder; DDIM_PLAYGROUND_SCREENSHOT=docs/playground.png
 * also writes it there (the README's picture).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { cliCommand, runCli } from './support/cli.ts';
import { DEFAULT_CONFIG, ROOT, tempDirSync } from './support/fixtures.ts';
import { pixelDiff } from './support/pixel-diff.ts';
import { CHROMIUM, HAVE_CHROMIUM, expectPageMatchesCli, launchChromium, readPngs } from './support/playground-browser.ts';
import { type Served, serveProcess } from './support/serve-process.ts';

if (!HAVE_CHROMIUM) console.warn(`test/playground.test.ts: skipped, ${CHROMIUM} is missing (apt-get install chromium)`);

const SEED = 7;
const STEPS = 10;
const COUNT = 4;
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

let server: Served | undefined;
let browser: Browser | undefined;
let page: Page;
let url = '';
let dir = '';
/** The CLI's PNGs for the same seed and steps, by index: native backend, and web (WebAssembly) backend. */
let cliPngs: Buffer[] = [];
let cliWebPngs: Buffer[] = [];

/** `ddim serve` on a free loopback port, with `extra` arguments. */
function startServer(extra: string[] = []): Promise<Served> {
  return serveProcess([...cliCommand('bun'), 'serve', '--port', '0', '--host', '127.0.0.1', '--quiet', ...extra], { cwd: ROOT });
}

/** The PNG bytes of the results of the latest finished run of `mode` made `where` (the newest card is first). */
async function resultPngs(where: 'server' | 'browser', mode = 'sample'): Promise<Buffer[]> {
  const card = page.locator(`article.run[data-where=${where}][data-mode=${mode}][data-state=done]`).first();
  const sources = await card.locator('.grid img').evaluateAll((images) => images.map((img) => img.getAttribute('src') ?? ''));
  // blob: URLs of the page, read in the page.
  const all = await page.evaluate((urls: string[]) => Promise.all(urls.map(async (src) => Array.from(new Uint8Array(await (await fetch(src)).arrayBuffer())))), sources);
  return all.map((bytes) => Buffer.from(bytes));
}

/** Fill the form, press a run button with the keyboard, and wait for the run to finish. */
async function runOnPage(where: 'server' | 'browser', mode = 'sample'): Promise<void> {
  await page.selectOption('#mode', mode);
  await page.fill('#skip_steps', String(STEPS));
  await page.fill('#seed', String(SEED));
  if (mode === 'sample') await page.fill('#n_samples', String(COUNT));
  await page.fill('#preview_every', '5');
  await page.focus(`#run-${where}`);
  await page.keyboard.press('Enter');
  await page.waitForSelector(`article.run[data-where=${where}][data-mode=${mode}]:not([data-state=running])`, { timeout: 60_000 });
  const failed = await page.$(`article.run[data-where=${where}][data-state=failed] .error`);
  if (failed) throw new Error(`the ${where} run failed: ${await failed.textContent()}`);
}

/** Counts the live previews shown (the most at once) from now on. In the page's own words: this file has no DOM types. */
async function watchPreviews(): Promise<() => Promise<number>> {
  await page.evaluate(`
    globalThis.previews = 0;
    new MutationObserver(() => {
      globalThis.previews = Math.max(globalThis.previews, document.querySelectorAll('.previews img, .previews canvas').length);
    }).observe(document.body, { subtree: true, childList: true });
  `);
  return async () => Number(await page.evaluate('globalThis.previews'));
}

describe.skipIf(!HAVE_CHROMIUM)('the playground page', () => {
  beforeAll(async () => {
    dir = tempDirSync('ddim-playground-');
    const sample = ['sample', '--n_samples', String(COUNT), '--seed', String(SEED), '--skip_steps', String(STEPS)];
    const [started, cli, cliWeb, launched] = await Promise.all([
      startServer(),
      runCli([...sample, '--save_dir', join(dir, 'cli')]),
      runCli([...sample, '--backend', 'web', '--save_dir', join(dir, 'cli-web')]),
      launchChromium(),
    ]);
    [server, url] = [started, started.url];
    browser = launched;
    expect([cli.exitCode, cliWeb.exitCode]).toEqual([0, 0]);
    cliPngs = readPngs(join(dir, 'cli'), COUNT);
    cliWebPngs = readPngs(join(dir, 'cli-web'), COUNT);
    page = await browser.newPage({ viewport: { width: 1280, height: 720 }, acceptDownloads: true });
    await page.goto(`${url}/`);
    await page.waitForSelector('body[data-ready=true]', { timeout: 15_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 15_000);

  test('is served cross-origin isolated: COOP and COEP on the page and on each of its files', async () => {
    const paths = ['/', '/playground/app.js', '/playground/browser-worker.js', '/playground/style.css', '/playground/config.json', '/playground/model.onnx', '/playground/browser-plugins.json'];
    paths.push('/playground/ort-wasm-simd-threaded.jsep.mjs', '/playground/ort-wasm-simd-threaded.jsep.wasm', '/playground/missing.js');
    for (const path of paths) {
      const response = await fetch(`${url}${path}`, { method: 'HEAD' });
      expect({ path, status: response.status }).toEqual({ path, status: path.endsWith('missing.js') ? 404 : 200 });
      for (const [name, value] of Object.entries(ISOLATION)) expect({ path, [name]: response.headers.get(name) }).toEqual({ path, [name]: value });
    }
    expect(await page.evaluate('crossOriginIsolated')).toBe(true);
  });

  test('builds its controls from the service, every one labelled', async () => {
    const plugins = (await (await fetch(`${url}/v1/plugins`)).json()) as { modes: { name: string }[]; schedules: { name: string }[] };
    expect(await page.$$eval('#mode option', (options) => options.map((o) => o.textContent))).toEqual(plugins.modes.map((m) => m.name));
    expect(await page.$$eval('#skip_type option', (options) => options.map((o) => o.textContent))).toEqual(plugins.schedules.map((s) => s.name));
    const visible = async (selector: string) => page.isVisible(selector);
    await page.selectOption('#mode', 'sdedit');
    expect([await visible('#opt-sdedit-strength'), await visible('#images-zone'), await visible('#masks-zone')]).toEqual([true, true, false]);
    await page.selectOption('#mode', 'inpaint');
    expect([await visible('#opt-inpaint-resample'), await visible('#masks-zone')]).toEqual([true, true]);
    await page.selectOption('#mode', 'interpolate');
    expect([await visible('#field-n_interpolate'), await visible('#inputs')]).toEqual([true, false]);
    // The default model is unconditional: no class picker or guidance control, and no generic field for them.
    expect(await page.$$eval('#class-fields', (groups) => groups.map((g) => (g as unknown as { hidden: boolean }).hidden))).toEqual([true]);
    expect(await page.$$('[id^=field-class], [id^=field-guidance], [id^=field-n_samples_each]')).toEqual([]);
    // A button is named by its text; an input or a select by a <label for>.
    const unlabelled = await page.$$eval('input, select, button', (controls) =>
      controls.filter((c) => (c.tagName === 'BUTTON' ? !c.textContent?.trim() : !(c as unknown as { labels: { length: number } }).labels.length)).map((c) => c.id),
    );
    expect(unlabelled).toEqual([]);
    expect(await page.getAttribute('#status', 'aria-live')).toBe('polite');
  });

  test(`runs ${COUNT} samples on the server and in the browser, equal to the CLI's`, async () => {
    const previews = await watchPreviews();
    await runOnPage('server');
    expect(await previews()).toBeGreaterThanOrEqual(COUNT);
    const fromServer = await resultPngs('server');

    await runOnPage('browser');
    const fromBrowser = await resultPngs('browser');
    // The browser runs the same WebAssembly build as the CLI's --backend web: the very same pixels.
    expectPageMatchesCli({ server: fromServer, browser: fromBrowser }, { native: cliPngs, web: cliWebPngs }, 'playground: browser vs CLI');

    const shot = join(dir, 'playground.png');
    await page.screenshot({ path: shot, fullPage: true });
    const docs = process.env.DDIM_PLAYGROUND_SCREENSHOT;
    if (docs) copyFileSync(shot, join(ROOT, docs));
  }, 90_000);

  test('downloads one result, and all of them as a zip', async () => {
    const card = 'article.run[data-where=browser][data-state=done] >> nth=0';
    const expected = await resultPngs('browser');
    const [one] = await Promise.all([page.waitForEvent('download'), page.click(`${card} >> a.download >> nth=0`)]);
    expect(one.suggestedFilename()).toBe(`ddim-sample-seed${SEED}-0.png`);
    expect(readFileSync(await one.path()).equals(expected[0]!)).toBe(true);
    const [all] = await Promise.all([page.waitForEvent('download'), page.click(`${card} >> button.download-all`)]);
    const files = unzipSync(readFileSync(await all.path()));
    expect(Object.keys(files).sort()).toEqual(expected.map((_, i) => `ddim-sample-seed${SEED}-${i}.png`));
    expect(Buffer.from(files[`ddim-sample-seed${SEED}-3.png`]!).equals(expected[3]!)).toBe(true);
  });

  test('runs an image mode on both sides from a dropped file, within a level of each other', async () => {
    await page.selectOption('#mode', 'sdedit');
    await page.setInputFiles('#images', { name: 'input.png', mimeType: 'image/png', buffer: cliPngs[0]! });
    await page.waitForSelector('#images-zone .thumbs img');
    await runOnPage('server', 'sdedit');
    await runOnPage('browser', 'sdedit');
    const [server] = await resultPngs('server', 'sdedit');
    const [inBrowser] = await resultPngs('browser', 'sdedit');
    expect([server, inBrowser].every(Boolean)).toBe(true);
    const diff = pixelDiff(server!, inBrowser!);
    expect(diff.largest).toBeLessThanOrEqual(1);
    expect(diff.differing).toBeLessThanOrEqual(diff.pixels * 0.01);
  }, 60_000);

  test('runs no plugin the browser lacks there, starts a new worker after one failed, and keeps no preview blob URL', async () => {
    const other = await browser!.newPage();
    // Counts the page's live blob URLs; browser-plugins.json without sdedit stands for a plugin module's mode.
    await other.addInitScript(`const live = (globalThis.liveUrls = new Set()); const [make, revoke] = [URL.createObjectURL, URL.revokeObjectURL];
      URL.createObjectURL = (blob) => { const url = make(blob); live.add(url); return url; };
      URL.revokeObjectURL = (url) => { live.delete(url); revoke(url); };`);
    await other.route('**/playground/browser-plugins.json', async (route) => {
      const response = await route.fetch();
      const json = (await response.json()) as { modes: string[] };
      await route.fulfill({ response, json: { ...json, modes: json.modes.filter((mode) => mode !== 'sdedit') } });
    });
    await other.route('**/playground/browser-worker.js', (route) => route.fulfill({ status: 404, body: 'gone' }));
    await other.goto(`${url}/`);
    await other.waitForSelector('body[data-ready=true]', { timeout: 15_000 });
    const note = async () => [await other.isDisabled('#run-browser'), (await other.isVisible('#run-browser-note')) && (await other.textContent('#run-browser-note'))];
    await other.selectOption('#mode', 'sdedit');
    expect(await note()).toEqual([true, 'mode sdedit: runs on the server only (plugin modules are not loaded in the browser)']);
    await other.selectOption('#mode', 'sample');
    expect(await note()).toEqual([false, false]);
    const run = async (where: string, n: number) => {
      await other.fill('#skip_steps', '3');
      await other.fill('#preview_every', '1');
      await other.click(`#run-${where}`);
      // The n-th card, first in the list, finished.
      const cards = "document.querySelectorAll('#runs > article.run')";
      await other.waitForFunction(`${cards}.length === ${n} && ${cards}[0].dataset.state !== 'running'`, undefined, { timeout: 60_000 });
      return other.getAttribute('#runs > article.run >> nth=0', 'data-state');
    };
    expect(await run('browser', 1)).toBe('failed');
    await other.unroute('**/playground/browser-worker.js');
    expect(await run('browser', 2)).toBe('done');
    expect(await run('server', 3)).toBe('done');
    // Only the results shown hold a blob URL: every preview's was revoked.
    const results = await other.locator('article.run .grid img').count();
    expect(await other.evaluate('globalThis.liveUrls.size')).toBe(results);
    await other.close();
  }, 90_000);
});

describe('ddim serve with server.playground=false', () => {
  test('serves no page', async () => {
    const off = await startServer(['server.playground=false']);
    try {
      expect([(await fetch(`${off.url}/`)).status, (await fetch(`${off.url}/playground/config.json`)).status, (await fetch(`${off.url}/v1/health`)).status]).toEqual([404, 404, 200]);
    } finally {
      await off.stop();
    }
  }, 60_000);
});
