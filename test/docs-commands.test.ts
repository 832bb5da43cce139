/**
 * Every command shown in README.md and docs/*.md, run as a reader would run it.
 *
 * The convention a page follows (docs/TESTING.md says the same to its writers):
 * - ```sh blocks hold commands that run on a machine set up by the README's first command, in
 *   seconds, with no GPU, cluster, account or file of the reader's own. Each page gets a fresh copy
 *   of the repository (node_modules linked); its blocks run in page order there, so a block may
 *   use what an earlier block of the same page wrote. Each block must exit 0, every output a line
 *   names (--save_dir DIR: a PNG in it; -o, --save_stats, --out, `> FILE`: a non-empty file) must
 *   exist, and no file of the repository may change (a command that rewrites a shipped file, like
 *   `ddim eval --save-stats models/…`, must reproduce it byte for byte).
 * - A line that starts a server (ddim serve, cli.ts serve, serve:edge, workerd serve) runs in the
 *   background, as in a second terminal; the lines after it run once it answers GET /v1/health;
 *   it is stopped (SIGTERM to its process group) at the next server line or the block's end.
 *   Port 8787 in the block becomes a free one (`ddim serve` without --port is given it, and every
 *   server line gets it as PORT, which `bun run serve:edge` reads).
 * - A block whose info string names a file (```ts my-schedule.ts) is written to that file first.
 * - What cannot run here (the reader's own model or images, a GPU, a cluster, an account, minutes
 *   of compute, this suite) goes in ```text blocks, with prose saying what it needs; transcripts
 *   and usage synopses too. `bash`, `shell`, `console` and unlabelled fences are refused.
 * - The README's installing commands and `bun run test` are run by CI: checked in .ci/run here.
 * - Pages whose blocks read Debian's Fashion-MNIST test set are skipped, with one line, without it.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ALLOWED_LANGUAGES, RUN_BY_CI, fences, logicalLines, withoutCiParts } from './support/doc-blocks.ts';
import { changedFiles, runBlock, workingCopy, writeNamedBlock } from './support/doc-runner.ts';
import { HAS_FASHION_MNIST } from './support/fashion-mnist.ts';
import { ROOT } from './support/paths.ts';

const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];
const copies: string[] = [];
afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

describe('the pages', () => {
  test('label every fence with a known language, so that no shell command is shown without being run', () => {
    const bad = PAGES.flatMap((page) =>
      fences(readFileSync(join(ROOT, page), 'utf8'))
        .filter((fence) => !ALLOWED_LANGUAGES.has(fence.language))
        .map((fence) => `${page}:${fence.line} \`\`\`${fence.language}`),
    );
    expect(bad).toEqual([]);
  });

  test("README's set-up is two commands, and CI runs the parts this test does not", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const setUp = fences(readme).find((fence) => fence.language === 'sh')!;
    expect(logicalLines(setUp.body).map((line) => line.replace(/\s+#.*$/, ''))).toEqual(['npm install -g bun && bun install && bun run ddim sample', 'bun run test']);
    const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8');
    expect(ci).toContain('npm install -g bun');
    expect(ci).toMatch(/^bun install\b/m);
    expect(ci).toMatch(/^bun run test\b/m);
    expect([...RUN_BY_CI].sort()).toEqual(['bun install', 'bun run test', 'npm install -g bun']);
  });

  test('README gets a newcomer to images, a server and a plugin within its first screen', () => {
    const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n');
    const plugin = lines.findIndex((line) => line.startsWith('bun run ddim sample --plugin'));
    expect(plugin).toBeGreaterThan(lines.findIndex((line) => line.startsWith('bun run ddim serve')));
    expect(plugin + 1).toBeLessThanOrEqual(80);
  });
});

/** Runs one page's blocks in its own copy of the repository; the first failure, or undefined. */
async function runPage(page: string, markdown: string): Promise<string | undefined> {
  const { dir, copied } = workingCopy();
  copies.push(dir);
  for (const fence of fences(markdown)) {
    if (fence.file) writeNamedBlock(dir, fence.file, fence.body);
    if (fence.language !== 'sh') continue;
    const body = logicalLines(fence.body)
      .map((line) => withoutCiParts(line).rest)
      .filter((line) => line.trim() !== '')
      .join('\n');
    if (!body) continue;
    const failed = (await runBlock(body, dir)).find((result) => !result.ok);
    if (failed) return `${page}:${fence.line}: ${failed.what}\n${failed.log}`;
  }
  const changed = changedFiles(dir, copied);
  return changed.length ? `${page}: its commands changed files of the repository: ${changed.join(', ')}` : undefined;
}

/** Pages run two at a time (the machine's two cores: one page's start-ups overlap another's sampling). */
const outcomes = new Map<string, Promise<string | undefined>>();
function outcome(page: string, runnable: readonly string[]): Promise<string | undefined> {
  if (outcomes.size === 0) {
    const queue = [...runnable];
    const settle = new Map<string, (failure: string | undefined) => void>();
    for (const name of queue) outcomes.set(name, new Promise((resolve) => settle.set(name, resolve)));
    const worker = async () => {
      for (let name = queue.shift(); name; name = queue.shift()) {
        settle.get(name)!(await runPage(name, readFileSync(join(ROOT, name), 'utf8')).catch((error: unknown) => `${name}: ${String(error)}`));
      }
    };
    void Promise.all([worker(), worker()]);
  }
  return outcomes.get(page)!;
}

const isRunnable = (markdown: string) => fences(markdown).some((fence) => fence.language === 'sh');
const readsDataset = (markdown: string) =>
  /writeFashionMnistPngs|\/usr\/share\/datasets\/fashion-mnist/.test(fences(markdown).filter((f) => f.language === 'sh').map((f) => f.body).join('\n'));
/** DOCS_PAGES=docs/CLI.md,README.md runs only those pages (the others skip), e.g. while editing one. */
const ONLY = process.env.DOCS_PAGES?.split(',').map((page) => page.trim());
const RUNNABLE = PAGES.filter((page) => {
  if (ONLY && !ONLY.includes(page)) return false;
  const markdown = readFileSync(join(ROOT, page), 'utf8');
  if (readsDataset(markdown) && !HAS_FASHION_MNIST) {
    console.warn(`${page}: skipped: its commands read Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist)`);
    return false;
  }
  return isRunnable(markdown);
});

describe.each(PAGES)('%s', (page) => {
  test.skipIf(!RUNNABLE.includes(page))('its commands run as shown and write what they say', async () => {
    const failure = await outcome(page, RUNNABLE);
    expect(failure).toBeUndefined();
  }, 900_000);
});
