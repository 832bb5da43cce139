/**
 * The playground's class picker and guidance scale, driven in Debian's chromium (as
 * test/playground.test.ts) against `ddim serve` with the class-conditional stand-in
 * (3×16×16, its classes from its model card): a class picked and the scale set with the
 * keyboard, a guided run on the server equal to the CLI's PNGs byte for byte and one in the
 * browser within the backends' limit (and equal to `--backend web`'s). The unconditional
 * default model's page has no class controls: test/playground.test.ts checks that.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { cliCommand, runCli } from './support/cli.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';
import { CHROMIUM, HAVE_CHROMIUM, expectPageMatchesCli, launchChromium, readPngs } from './support/playground-browser.ts';
import { type Served, serveProcess } from './support/serve-process.ts';

if (!HAVE_CHROMIUM) console.warn(`test/playground-guidance.test.ts: skipped, ${CHROMIUM} is missing (apt-get install chromium)`);

const WEIGHTS = 'test/fixtures/conditional/standin.onnx';
/** The stand-in's card names its classes as CIFAR-10's. */
const CLASS = 'deer';
const SEED = 5;
const STEPS = 8;
const COUNT = 3;
const SCALE = 3;

let server: Served | undefined;
let browser: Browser | undefined;
let page: Page;
let dir = '';
let cliPngs: Buffer[] = [];
let cliWebPngs: Buffer[] = [];

/** The PNG bytes of the latest finished sample run made `where`. */
async function resultPngs(where: 'server' | 'browser'): Promise<Buffer[]> {
  const card = page.locator(`article.run[data-where=${where}][data-mode=sample][data-state=done]`).first();
  const sources = await card.locator('.grid img').evaluateAll((images) => images.map((img) => img.getAttribute('src') ?? ''));
  const all = await page.evaluate((urls: string[]) => Promise.all(urls.map(async (src) => Array.from(new Uint8Array(await (await fetch(src)).arrayBuffer())))), sources);
  return all.map((bytes) => Buffer.from(bytes));
}

/** Press a run button with the keyboard and wait for that run to finish. */
async function run(where: 'server' | 'browser'): Promise<void> {
  await page.focus(`#run-${where}`);
  await page.keyboard.press('Enter');
  await page.waitForSelector(`article.run[data-where=${where}]:not([data-state=running])`, { timeout: 40_000 });
  const failed = await page.$(`article.run[data-where=${where}][data-state=failed] .error`);
  if (failed) throw new Error(`the ${where} run failed: ${await failed.textContent()}`);
}

describe.skipIf(!HAVE_CHROMIUM)('the playground with a class-conditional model', () => {
  beforeAll(async () => {
    dir = tempDirSync('ddim-playground-guidance-');
    const sample = ['sample', '--weights', WEIGHTS, '--class', CLASS, '--guidance_scale', String(SCALE), '--n_samples', String(COUNT), '--seed', String(SEED), '--skip_steps', String(STEPS)];
    const [started, cli, cliWeb, launched] = await Promise.all([
      serveProcess([...cliCommand('bun'), 'serve', '--weights', WEIGHTS, '--port', '0', '--host', '127.0.0.1', '--quiet'], { cwd: ROOT }),
      runCli([...sample, '--save_dir', join(dir, 'cli')]),
      runCli([...sample, '--backend', 'web', '--save_dir', join(dir, 'cli-web')]),
      launchChromium(),
    ]);
    server = started;
    browser = launched;
    expect([cli.exitCode, cliWeb.exitCode]).toEqual([0, 0]);
    cliPngs = readPngs(join(dir, 'cli'), COUNT);
    cliWebPngs = readPngs(join(dir, 'cli-web'), COUNT);
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(`${started.url}/`);
    await page.waitForSelector('body[data-ready=true]', { timeout: 15_000 });
  }, 45_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 15_000);

  test('offers the classes of the model card, labelled, and draws the class fields once', async () => {
    const health = (await (await fetch(`${server!.url}/v1/health`)).json()) as { model: { classes: { names: string[] } } };
    expect(await page.isVisible('#class-fields')).toBe(true);
    expect(await page.$$eval('#class option', (options) => options.slice(1).map((o) => o.textContent))).toEqual(health.model.classes.names);
    expect(await page.$$eval('#class, #guidance_scale', (controls) => controls.map((c) => (c as unknown as { labels: { length: number } }).labels.length))).toEqual([1, 1]);
    // Page-owned: no generic control for them among the mode's fields.
    expect(await page.$$('#mode-fields [id^=field-class], #mode-fields [id^=field-guidance], #mode-fields [id^=field-n_samples_each]')).toEqual([]);
  });

  test(`runs class ${CLASS} at guidance ${SCALE}, chosen by keyboard, on the server (the CLI's bytes) and in the browser`, async () => {
    await page.selectOption('#mode', 'sample');
    await page.fill('#skip_steps', String(STEPS));
    await page.fill('#seed', String(SEED));
    await page.fill('#n_samples', String(COUNT));
    // Type-ahead picks the class by its name; the scale is typed over.
    await page.focus('#class');
    await page.keyboard.type(CLASS);
    expect(await page.inputValue('#class')).toBe(CLASS);
    await page.focus('#guidance_scale');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type(String(SCALE));
    expect(await page.inputValue('#guidance_scale')).toBe(String(SCALE));

    await run('server');
    const fromServer = await resultPngs('server');

    await run('browser');
    const fromBrowser = await resultPngs('browser');
    expectPageMatchesCli({ server: fromServer, browser: fromBrowser }, { native: cliPngs, web: cliWebPngs }, 'playground guided: browser vs CLI');
  }, 60_000);
});
