/**
 * The HTTP service end to end: the real app behind Bun.serve on a loopback port, the
 * shipped ONNX model, real PNGs, and the real CLI as the reference for every result.
 * The 4xx answers, the limits, auth and shutdown are in server-errors.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import * as v from 'valibot';
import { HealthSchema, PluginsSchema, PreviewEventSchema, ProgressEventSchema, ResultSchema } from '../server/response-schemas.ts';
import { tempDirSync } from './support/fixtures.ts';
import { type TestServer, resultPngs, sseEvents, startServer } from './support/server.ts';
import { cliPngs, json } from './support/server-answers.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

describe('the results are the CLI results, byte for byte', () => {
  const sampleFlags = { n_samples: 3, seed: 5, ddim_eta: 0.5, skip_type: 'quad', skip_steps: 6 };
  let cli: Awaited<ReturnType<typeof cliPngs>>;
  let inputDir: string;

  beforeAll(async () => {
    cli = await cliPngs(['sample', '--n_samples', '3', '--seed', '5', '--ddim_eta', '0.5', '--skip_type', 'quad', '--skip_steps', '6']);
    // Reconstruction inputs: those samples, and a larger RGB JPEG (resized, cropped, made gray like --input_dir).
    inputDir = tempDirSync();
    cli.pngs.forEach((png, i) => writeFileSync(join(inputDir, `${i}.png`), png));
    const noise = Uint8Array.from({ length: 48 * 40 * 3 }, (_, i) => (i * 7919) % 251);
    await sharp(noise, { raw: { width: 48, height: 40, channels: 3 } }).jpeg().toFile(join(inputDir, '3.jpg'));
  });

  test('POST /v1/sample as JSON', async () => {
    const response = await server.post('/v1/sample', sampleFlags);
    expect(response.status).toBe(200);
    const result = v.parse(ResultSchema, await json(response));
    expect(result).toMatchObject({ mode: 'sample', seed: 5, count: 3, timesteps: cli.run.timesteps, picture: { width: 32, height: 32, channels: 1 } });
    expect(resultPngs(result)).toEqual(cli.pngs);
  });

  test('POST /v1/sample as one PNG', async () => {
    const response = await server.post('/v1/sample', { ...sampleFlags, n_samples: 1 }, { accept: 'image/png' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('x-ddim-seed')).toBe('5');
    expect(Buffer.from(await response.arrayBuffer()).equals(cli.pngs[0]!)).toBe(true);
  });

  test('POST /v1/sample as an event stream: a progress event per step, then the result', async () => {
    const response = await server.post('/v1/sample', sampleFlags, { accept: 'text/event-stream' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toStartWith('text/event-stream');
    const events = [];
    for await (const event of sseEvents(response)) events.push(event);
    expect(events[0]!.event).toBe('accepted');
    const progress = events.filter((e) => e.event === 'progress').map((e) => v.parse(ProgressEventSchema, e.data));
    expect(progress.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(progress.every((p) => p.steps === 6 && p.direction === 'sample' && p.items === 3)).toBe(true);
    expect(events.at(-1)!.event).toBe('result');
    expect(resultPngs(v.parse(ResultSchema, events.at(-1)!.data))).toEqual(cli.pngs);
  });

  test('previews of the predicted x0 every k steps, as PNGs', async () => {
    const response = await server.post('/v1/sample', { n_samples: 2, seed: 1, skip_steps: 5, preview_every: 2 }, { accept: 'text/event-stream' });
    const previews = [];
    for await (const event of sseEvents(response)) if (event.event === 'preview') previews.push(v.parse(PreviewEventSchema, event.data));
    expect(previews.map((p) => p.step)).toEqual([2, 4, 5]);
    for (const preview of previews) {
      expect(preview.images.length).toBe(2);
      const meta = await sharp(Buffer.from(preview.images[0]!, 'base64')).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 32, 32]);
    }
  });

  test('POST /v1/interpolate', async () => {
    const expected = await cliPngs(['sample', '--mode', 'interpolate', '--n_samples', '2', '--n_interpolate', '3', '--seed', '4', '--skip_steps', '5']);
    const response = await server.post('/v1/interpolate', { n_samples: 2, n_interpolate: 3, seed: 4, skip_steps: 5 });
    const result = v.parse(ResultSchema, await json(response));
    // A row of 3 frames, framed and separated by 2 black pixels.
    expect(result.picture).toEqual({ width: 3 * 32 + 4 * 2, height: 32 + 2 * 2, channels: 1 });
    expect(resultPngs(result)).toEqual(expected.pngs);
  });

  test('POST /v1/reconstruction with multipart uploads, and with base64 images in JSON', async () => {
    const expected = await cliPngs(['sample', '--mode', 'reconstruction', '--input_dir', inputDir, '--seed', '3', '--skip_steps', '5']);
    expect(expected.pngs.length).toBe(4);
    const files = readdirSync(inputDir).sort();
    const form = new FormData();
    form.set('seed', '3');
    form.set('skip_steps', '5');
    for (const name of files) form.append('images', new Blob([readFileSync(join(inputDir, name))]), name);
    const multipart = v.parse(ResultSchema, await json(await server.post('/v1/reconstruction', form)));
    expect(multipart.picture).toEqual({ width: 2 * 32 + 3 * 2, height: 32 + 2 * 2, channels: 1 });
    expect(resultPngs(multipart)).toEqual(expected.pngs);

    const images = files.map((name) => readFileSync(join(inputDir, name)).toString('base64'));
    images[1] = `data:image/png;base64,${images[1]}`;
    const base64 = v.parse(ResultSchema, await json(await server.post('/v1/reconstruction', { images, n_samples: 2, seed: 3, skip_steps: 5 })));
    expect(resultPngs(base64)).toEqual(expected.pngs.slice(0, 2));
  });
});

describe('GET endpoints', () => {
  test('/v1/health reports the model, the load and the limits', async () => {
    const health = v.parse(HealthSchema, await json(await fetch(`${server.url}/v1/health`)));
    expect(health.status).toBe('ok');
    expect(health.model).toMatchObject({ file: 'ddpm_fashion_mnist.onnx', channels: 1, height: 32, width: 32 });
    expect(health.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(health.limits).toMatchObject({ max_batch: 64, max_samples_per_request: 64, auth: false });
  });

  test('/v1/plugins lists modes, schedules and guidance rules with JSON Schemas of their options', async () => {
    const plugins = v.parse(PluginsSchema, await json(await fetch(`${server.url}/v1/plugins`)));
    expect(plugins.modes.map((p) => p.name)).toEqual(['sample', 'interpolate', 'reconstruction', 'sdedit', 'inpaint', 'ilvr', 'trajectory']);
    expect(plugins.schedules.map((p) => p.name)).toEqual(['uniform', 'quad', 'linspace', 'trailing', 'uniform-linspace', 'uniform-trailing', 'quad-float32']);
    expect(plugins.guidance.map((p) => p.name)).toEqual(['cfg']);
    expect(plugins.modes[0]!.description).toBe('draw n_samples images');
  });

  test('/openapi.json is generated from the request schemas', async () => {
    const doc = await json(await fetch(`${server.url}/openapi.json`));
    expect(doc.openapi).toBe('3.1.0');
    const modes = ['sample', 'interpolate', 'reconstruction', 'sdedit', 'inpaint', 'ilvr', 'trajectory'];
    const modePaths = modes.flatMap((mode) => [`/v1/${mode}`, `/v1/modes/${mode}`]);
    expect(Object.keys(doc.paths).sort()).toEqual(['/openapi.json', '/v1/health', '/v1/plugins', '/v1/run', ...modePaths].sort());
    // every sampling endpoint takes multipart, and says which headers its answers carry
    for (const path of ['/v1/sample', '/v1/interpolate', '/v1/reconstruction']) {
      const post = doc.paths[path].post;
      expect(Object.keys(post.requestBody.content).sort()).toEqual(['application/json', 'multipart/form-data']);
      expect(Object.keys(post.responses['200'].headers).sort()).toEqual(['x-ddim-seed', 'x-ddim-steps', 'x-request-id']);
      expect(Object.keys(post.responses['429'].headers)).toEqual(['Retry-After']);
    }
    const sample = doc.components.schemas.SampleRequest;
    expect(sample.additionalProperties).toBe(false);
    expect(sample.properties.n_samples).toMatchObject({ type: 'integer', minimum: 1 });
    expect(sample.properties.ddim_eta).toMatchObject({ type: 'number', minimum: 0, maximum: 1 });
    expect(sample.properties.seed.description).toContain('noise seed');
    expect(doc.components.schemas.InterpolateRequest.properties.n_interpolate).toMatchObject({ type: 'integer', minimum: 2 });
    expect(doc.components.schemas.ReconstructionRequest.properties.images.type).toBe('array');
    expect(Object.keys(doc.components.schemas.PluginOptions.properties)).toEqual([...modes, 'uniform', 'quad', 'linspace', 'trailing', 'uniform-linspace', 'uniform-trailing', 'quad-float32']);
    const post = doc.paths['/v1/sample'].post;
    expect(Object.keys(post.responses['200'].content).sort()).toEqual(['application/json', 'image/png', 'text/event-stream']);
    expect(post.responses['429'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
  });
});
