/** PLUGINS.md's examples, taken from the file as they stand and run through the real CLI. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpy } from '../core/io/npy.ts';
import { pngs, runCli } from './support/cli.ts';
import { startServer } from './support/server.ts';
import { ROOT } from './support/fixtures.ts';

/** Code blocks whose info string names a file: ```ts strided.ts */
function namedBlocks(markdown: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const match of markdown.matchAll(/^```\w+ ([\w.-]+)\n([\s\S]*?)^```$/gm)) blocks.set(match[1]!, match[2]!);
  return blocks;
}

// Two levels below the repository, as the guide's config expects; runs/ is not tracked.
const DIR = join(ROOT, 'runs', `plugins-guide-${process.pid}`);
let blocks: Map<string, string>;
beforeAll(() => {
  blocks = namedBlocks(readFileSync(join(ROOT, 'PLUGINS.md'), 'utf8'));
  mkdirSync(DIR, { recursive: true });
  for (const [name, text] of blocks) writeFileSync(join(DIR, name), text);
});
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

describe('PLUGINS.md', () => {
  test('its schedule and mode run as written, deterministic across micro-batches', async () => {
    expect([...blocks.keys()].sort()).toEqual(['guide.yaml', 'halfway-error.json', 'halfway.ts', 'strided.ts']);

    const run = async (out: string, extra: string[] = []) => {
      const result = await runCli(['sample', '-c', join(DIR, 'guide.yaml'), '--save_dir', join(DIR, out), '--save_npy', '--quiet', ...extra]);
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
      return { images: pngs(join(DIR, out)), run: JSON.parse(readFileSync(join(DIR, out, 'run.json'), 'utf8')) };
    };
    const whole = await run('whole');
    const split = await run('split', ['--micro_batch', '3']);
    expect(whole.run.mode).toBe('halfway');
    expect(whole.run.timesteps).toEqual(Array.from({ length: 20 }, (_, i) => 9 + 50 * i));
    expect(whole.images.size).toBe(4);
    for (const [name, bytes] of whole.images) expect(split.images.get(name)!.equals(bytes)).toBe(true);

    // Its finished samples are the sample mode's, as the guide says (same noise domain).
    await run('plain', ['--mode', 'sample']);
    const samples = (dir: string) => parseNpy(readFileSync(join(DIR, dir, 'samples.npy'))).data;
    expect(samples('whole')).toEqual(samples('plain'));
  });

  test("its options are checked: stride 0 is refused in one line before the schedule runs", async () => {
    const result = await runCli(['sample', '-c', join(DIR, 'guide.yaml'), 'sampler.options.strided.stride=0', '--save_dir', join(DIR, 'bad'), '--quiet']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining('sampler.options.strided.stride')]);
  });

  test("its mode's UserError comes back over HTTP as the guide shows, naming the request field", async () => {
    const server = await startServer({ config: join(DIR, 'guide.yaml') });
    try {
      const response = await server.post('/v1/modes/halfway', { options: { halfway: { at: 0.01 } } });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual(JSON.parse(blocks.get('halfway-error.json')!));
    } finally {
      await server.stop();
    }
    const cli = await runCli(['sample', '-c', join(DIR, 'guide.yaml'), 'sampler.options.halfway.at=0.01', '--save_dir', join(DIR, 'bad-at'), '--quiet']);
    expect(cli.exitCode).toBe(2);
    expect(cli.stderr).toBe('error: sampler.options.halfway.at: 0.01 of 20 steps is no step; give a larger value\n');
  });
});
