/**
 * The server knows no mode by name: every registered mode, a third-party one included, is
 * served at /v1/modes/{name} (and /v1/{name}) from what it declares, with the CLI's bytes.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './support/cli.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';
import { type TestServer, resultPngs, startServer } from './support/server.ts';

const PLUGINS_CONFIG = join(ROOT, 'test/fixtures/plugins.yaml');

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ config: PLUGINS_CONFIG });
});
afterAll(() => server.stop());

describe('modes over HTTP', () => {
  test('a plugin mode is served at /v1/modes/{name}, with its options, byte-identical to the CLI', async () => {
    const dir = tempDirSync();
    const cli = await runCli(['sample', '-c', PLUGINS_CONFIG, '--n_samples', '2', '--seed', '9', 'sampler.options.noise-and-sample.show_noise=false', '--save_dir', dir, '--quiet']);
    expect(cli.stderr).toBe('');
    expect(cli.exitCode).toBe(0);
    const response = await server.post('/v1/modes/noise-and-sample', { n_samples: 2, seed: 9, options: { 'noise-and-sample': { show_noise: false } } });
    expect(response.status).toBe(200);
    const body: any = await response.json();
    expect(body.mode).toBe('noise-and-sample');
    const pngs = resultPngs(body);
    expect(pngs).toHaveLength(2);
    for (let i = 0; i < 2; i++) expect(pngs[i]!.equals(readFileSync(join(dir, `${i}.png`)))).toBe(true);
    // The same mode at its short path gives the same bytes.
    const short = await server.post('/v1/noise-and-sample', { n_samples: 2, seed: 9, options: { 'noise-and-sample': { show_noise: false } } });
    expect(resultPngs((await short.json()) as any).map((png) => png.toString('base64'))).toEqual(pngs.map((png) => png.toString('base64')));
  });

  test("/v1/run runs the service config's sampler.mode, here the plugin's", async () => {
    const viaRun = await server.post('/v1/run', { n_samples: 1, seed: 3 });
    const viaName = await server.post('/v1/modes/noise-and-sample', { n_samples: 1, seed: 3 });
    const [run, named]: any[] = [await viaRun.json(), await viaName.json()];
    expect(run.mode).toBe('noise-and-sample');
    expect(run.images).toEqual(named.images);
  });

  test("a plugin mode's options are validated by its own schema, naming the field", async () => {
    const response = await server.post('/v1/modes/noise-and-sample', { n_samples: 1, options: { 'noise-and-sample': { show_noise: 'yes' } } });
    expect(response.status).toBe(400);
    const { error }: any = await response.json();
    expect(error.field).toBe('options.noise-and-sample.show_noise');
    expect(error.message).toStartWith('options.noise-and-sample.show_noise: ');
  });

  test('fields come from what a mode declares: images only where a mode takes them, n_interpolate only where it is read', async () => {
    const doc: any = await (await fetch(`${server.url}/openapi.json`)).json();
    expect(Object.keys(doc.paths)).toContain('/v1/modes/noise-and-sample');
    const fields = (name: string) => Object.keys(doc.components.schemas[name].properties).sort();
    expect(fields('NoiseAndSampleRequest')).not.toContain('images');
    expect(fields('ReconstructionRequest')).toContain('images');
    expect(fields('InterpolateRequest')).toContain('n_interpolate');
    expect(fields('SampleRequest')).not.toContain('n_interpolate');
    const images = await server.post('/v1/modes/noise-and-sample', { images: ['aGVsbG8='] });
    expect(images.status).toBe(400);
    expect(((await images.json()) as any).error).toMatchObject({ code: 'unknown_field', field: 'images' });
  });

  test('an unknown mode path is a 404 pointing to the document', async () => {
    const response = await server.post('/v1/modes/nope', {});
    expect(response.status).toBe(404);
    expect(((await response.json()) as any).error.message).toContain('/openapi.json');
  });
});
