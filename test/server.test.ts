/**
 * The HTTP service end to end: the real app behind Bun.serve on a loopback port, the
 * shipped ONNX model, real PNGs, and the real CLI as the reference for every result.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import * as v from 'valibot';
import { ErrorSchema, HealthSchema, PluginsSchema, PreviewEventSchema, ProgressEventSchema, ResultSchema } from '../server/request-schemas.ts';
import { runCli } from './support/cli.ts';
import { tempDirSync } from './support/fixtures.ts';
import { type TestServer, resultPngs, sseEvents, startServer } from './support/server.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

/** The CLI's PNGs for these flags, by item index. */
async function cliPngs(args: string[]): Promise<{ pngs: Buffer[]; run: { timesteps: number[]; seed: number } }> {
  const dir = tempDirSync();
  const result = await runCli([...args, '--save_dir', dir, '--quiet']);
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  const names = readdirSync(dir).filter((f) => f.endsWith('.png'));
  const pngs = names.sort((a, b) => Number.parseInt(a) - Number.parseInt(b)).map((name) => readFileSync(join(dir, name)));
  return { pngs, run: JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) };
}

async function json(response: Response): Promise<any> {
  expect(response.headers.get('content-type')).toStartWith('application/json');
  return response.json();
}

/** A 4xx answer: structured JSON naming the field. */
async function expectError(response: Response, status: number, code: string, field?: string): Promise<string> {
  expect(response.status).toBe(status);
  const body = v.parse(ErrorSchema, await json(response));
  expect(body.error).toMatchObject({ status, code });
  if (field !== undefined) expect(body.error.field).toBe(field);
  return body.error.message;
}

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

  test('/v1/plugins lists modes and schedules with JSON Schemas of their options', async () => {
    const plugins = v.parse(PluginsSchema, await json(await fetch(`${server.url}/v1/plugins`)));
    expect(plugins.modes.map((p) => p.name)).toEqual(['sample', 'interpolate', 'reconstruction']);
    expect(plugins.schedules.map((p) => p.name)).toEqual(['uniform', 'quad', 'linspace', 'trailing']);
    expect(plugins.modes[0]!.description).toBe('draw n_samples images');
  });

  test('/openapi.json is generated from the request schemas', async () => {
    const doc = await json(await fetch(`${server.url}/openapi.json`));
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(['/openapi.json', '/v1/health', '/v1/interpolate', '/v1/plugins', '/v1/reconstruction', '/v1/sample']);
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
    expect(Object.keys(doc.components.schemas.PluginOptions.properties)).toEqual(['sample', 'interpolate', 'reconstruction', 'uniform', 'quad', 'linspace', 'trailing']);
    const post = doc.paths['/v1/sample'].post;
    expect(Object.keys(post.responses['200'].content).sort()).toEqual(['application/json', 'image/png', 'text/event-stream']);
    expect(post.responses['429'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
  });
});

describe('bad input gets a 4xx JSON answer naming the field', () => {
  const truncatedPng = async () => {
    const png = await sharp(new Uint8Array(64), { raw: { width: 8, height: 8, channels: 1 } }).png().toBuffer();
    return png.subarray(0, 40).toString('base64');
  };
  const cases: [string, string, unknown, Record<string, string>, number, string, string | undefined][] = [
    ['malformed JSON', '/v1/sample', '{"n_samples": 2,', { 'content-type': 'application/json' }, 400, 'invalid_json', 'body'],
    ['a JSON list', '/v1/sample', '[1, 2]', { 'content-type': 'application/json' }, 400, 'invalid_body', undefined],
    ['a string for a number', '/v1/sample', { n_samples: '3' }, {}, 400, 'invalid_field', 'n_samples'],
    ['zero samples', '/v1/sample', { n_samples: 0 }, {}, 400, 'invalid_field', 'n_samples'],
    ['a fractional seed', '/v1/sample', { seed: 1.5 }, {}, 400, 'invalid_field', 'seed'],
    ['eta out of range', '/v1/sample', { ddim_eta: 2 }, {}, 400, 'invalid_field', 'ddim_eta'],
    ['a misspelt field', '/v1/sample', { n_sample: 2 }, {}, 400, 'unknown_field', 'n_sample'],
    ['the model file', '/v1/sample', { weights: '/etc/passwd' }, {}, 400, 'unknown_field', 'weights'],
    ['a field of another endpoint', '/v1/sample', { n_interpolate: 4 }, {}, 400, 'unknown_field', 'n_interpolate'],
    ['an unknown schedule', '/v1/sample', { skip_type: 'quadd' }, {}, 400, 'invalid_field', 'skip_type'],
    ['options of an unknown plugin', '/v1/sample', { options: { nope: {} } }, {}, 400, 'unknown_plugin', 'options.nope'],
    ['more steps than the model has', '/v1/sample', { skip_steps: 5000 }, {}, 400, 'invalid_field', 'skip_steps'],
    ['one interpolation frame', '/v1/interpolate', { n_interpolate: 1 }, {}, 400, 'invalid_field', 'n_interpolate'],
    ['reconstruction without images', '/v1/reconstruction', { n_samples: 1 }, {}, 400, 'missing_images', 'images'],
    ['an image that is not base64', '/v1/reconstruction', { images: ['***'] }, {}, 400, 'invalid_image', 'images[0]'],
    ['base64 that is not an image', '/v1/reconstruction', { images: [btoa('hello, world')] }, {}, 400, 'invalid_image', 'images[0]'],
    ['an image that is not an image, asked for as a stream', '/v1/reconstruction', { images: [btoa('GIF89a')] }, { accept: 'text/event-stream' }, 400, 'invalid_image', 'images[0]'],
    ['a plain-text body', '/v1/sample', 'n_samples=2', { 'content-type': 'text/plain' }, 415, 'unsupported_media_type', 'content-type'],
    ['an Accept the service cannot give', '/v1/sample', { n_samples: 1 }, { accept: 'text/html' }, 406, 'not_acceptable', 'accept'],
    ['one PNG for several images', '/v1/sample', { n_samples: 2 }, { accept: 'image/png' }, 406, 'not_acceptable', 'n_samples'],
    ['more samples than a request may ask', '/v1/sample', { n_samples: 65 }, {}, 413, 'too_many_samples', 'n_samples'],
    ['options for a plugin that takes none', '/v1/sample', { options: { quad: { x: 1 } } }, {}, 400, 'invalid_field', 'options.quad'],
    ['previews without an event stream', '/v1/sample', { n_samples: 1, preview_every: 2 }, {}, 400, 'invalid_field', 'preview_every'],
  ];
  for (const [what, path, body, headers, status, code, field] of cases) {
    test(`${what}: ${status} ${code}`, async () => {
      await expectError(await server.post(path, body, headers), status, code, field);
    });
  }

  test('a long bad value is quoted cut short, not whole', async () => {
    const message = await expectError(await server.post('/v1/sample', { skip_type: 'q'.repeat(5000) }), 400, 'invalid_field', 'skip_type');
    expect(message).toContain('(5000 characters)');
    expect(message.length).toBeLessThan(300);
  });

  test('messages say what was expected and suggest the nearest name', async () => {
    expect(await expectError(await server.post('/v1/sample', { skip_type: 'quadd' }), 400, 'invalid_field')).toContain(
      'Must be one of [uniform, quad, linspace, trailing] (did you mean "quad"?)',
    );
    expect(await expectError(await server.post('/v1/sample', { n_sample: 2 }), 400, 'unknown_field')).toContain('did you mean "n_samples"?');
    expect(await expectError(await server.post('/v1/sample', { weights: 'x.onnx' }), 400, 'unknown_field')).toContain('fixed when the service starts');
  });

  test('a corrupt PNG upload is named by its position', async () => {
    const images = [readFileSync(join(import.meta.dir, '../models/ddpm_fashion_mnist.yaml')).toString('base64'), await truncatedPng()];
    await expectError(await server.post('/v1/reconstruction', { images }), 400, 'invalid_image', 'images[0]');
    await expectError(await server.post('/v1/reconstruction', { images: [images[1]] }, { accept: 'text/event-stream' }), 400, 'invalid_image', 'images[0]');
    // Nothing was left holding queue room.
    expect((await server.health()).in_flight).toEqual({ requests: 0, samples: 0 });
  });

  test('multipart text parts are read like CLI flag values; odd parts are refused by name', async () => {
    const form = (entries: [string, string | Blob][]) => {
      const data = new FormData();
      for (const [name, value] of entries) data.append(name, value);
      return data;
    };
    const ok = await server.post('/v1/sample', form([['n_samples', '2'], ['seed', '3'], ['skip_steps', '3'], ['options', '{"uniform": {}}']]));
    expect(v.parse(ResultSchema, await json(ok))).toMatchObject({ count: 2, seed: 3 });
    await expectError(await server.post('/v1/sample', form([['__proto__', '{n_samples: 5}']])), 400, 'unknown_field', '__proto__');
    await expectError(await server.post('/v1/sample', form([['seed', '1'], ['seed', '2']])), 400, 'invalid_field', 'seed');
    await expectError(await server.post('/v1/reconstruction', form([['file', new Blob(['x'])]])), 400, 'unknown_field', 'file');
    await expectError(await server.post('/v1/sample', form([['images', new Blob(['x'])]])), 400, 'unknown_field', 'images');
  });

  test('unknown routes and wrong methods', async () => {
    await expectError(await fetch(`${server.url}/v1/nope`), 404, 'not_found');
    const wrong = await fetch(`${server.url}/v1/sample`);
    expect(wrong.headers.get('allow')).toBe('POST');
    await expectError(wrong, 405, 'method_not_allowed');
  });
});

describe('limits from the config', () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startServer({
      model: server.service.pipeline.model,
      overrides: ['server.max_body_bytes=4096', 'server.max_steps_per_request=20', 'server.max_samples_per_request=4'],
    });
  });
  afterAll(() => limited.stop());

  test('a body over max_body_bytes is 413, whether or not it declares its length', async () => {
    const big = JSON.stringify({ images: ['A'.repeat(5000)] });
    await expectError(await limited.post('/v1/reconstruction', big, { 'content-type': 'application/json' }), 413, 'payload_too_large', 'body');
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode(' '.repeat(1000)));
        controller.close();
      },
    });
    await expectError(await limited.post('/v1/sample', chunked, { 'content-type': 'application/json' }), 413, 'payload_too_large', 'body');
  });

  test('steps and samples over the limits are 413 naming the field', async () => {
    expect(await expectError(await limited.post('/v1/sample', { skip_steps: 21 }), 413, 'too_many_steps', 'skip_steps')).toContain('at most 20');
    // Every timestep when skip_steps is null: 1000 steps.
    await expectError(await limited.post('/v1/sample', { skip_steps: null }), 413, 'too_many_steps', 'skip_steps');
    await expectError(await limited.post('/v1/sample', { n_samples: 5, skip_steps: 5 }), 413, 'too_many_samples', 'n_samples');
    // An interpolation carries n_samples · n_interpolate samples.
    await expectError(await limited.post('/v1/interpolate', { n_samples: 1, n_interpolate: 5, skip_steps: 5 }), 413, 'too_many_samples', 'n_interpolate');
    const ok = await limited.post('/v1/sample', { n_samples: 4, skip_steps: 20 }, { accept: 'application/json' });
    expect(ok.status).toBe(200);
  });
});

describe('bearer auth', () => {
  let secured: TestServer;
  beforeAll(async () => {
    secured = await startServer({ model: server.service.pipeline.model, authToken: 's3cret-token' });
  });
  afterAll(() => secured.stop());

  test('requests without the token get 401 JSON; with it they are served', async () => {
    const missing = await secured.post('/v1/sample', { n_samples: 1, skip_steps: 3 });
    expect(missing.headers.get('www-authenticate')).toStartWith('Bearer');
    await expectError(missing, 401, 'unauthorized', 'authorization');
    await expectError(await secured.post('/v1/sample', { n_samples: 1 }, { authorization: 'Bearer s3cret-tokeN' }), 401, 'unauthorized');
    await expectError(await secured.post('/v1/sample', { n_samples: 1 }, { authorization: 'Basic s3cret-token' }), 401, 'unauthorized');
    await expectError(await fetch(`${secured.url}/v1/plugins`), 401, 'unauthorized');
    const ok = await secured.post('/v1/sample', { n_samples: 1, skip_steps: 3 }, { authorization: 'Bearer s3cret-token', accept: 'image/png' });
    expect(ok.status).toBe(200);
  });

  test('health and the OpenAPI document stay open, and the document declares the scheme', async () => {
    expect((await fetch(`${secured.url}/v1/health`)).status).toBe(200);
    const doc = await json(await fetch(`${secured.url}/openapi.json`));
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
  });
});

describe('while shutting down', () => {
  test('a new request gets 503 with Retry-After, counted as rejected, and health says draining', async () => {
    const closing = await startServer({ model: server.service.pipeline.model });
    try {
      await closing.service.close();
      const refused = await closing.post('/v1/sample', { n_samples: 1, skip_steps: 3 });
      expect(refused.headers.get('retry-after')).toBe('5');
      await expectError(refused, 503, 'shutting_down');
      const health = await closing.health();
      expect(health.status).toBe('draining');
      expect(health.requests.rejected).toBe(1);
    } finally {
      await closing.stop();
    }
  });
});
