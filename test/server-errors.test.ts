/**
 * The HTTP service's error answers end to end, on a loopback port with the shipped model:
 * bad input gets a 4xx JSON answer naming the field, and so do the configured limits,
 * bearer auth and a service that is shutting down.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import * as v from 'valibot';
import { ResultSchema } from '../server/response-schemas.ts';
import { type TestServer, startServer } from './support/server.ts';
import { expectError, json } from './support/server-answers.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

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
    ['options for a plugin that takes none', '/v1/sample', { skip_type: 'quad', options: { quad: { x: 1 } } }, {}, 400, 'invalid_field', 'options.quad'],
    ['options for a plugin the request does not use', '/v1/sample', { options: { sdedit: { strength: 0.3 } } }, {}, 400, 'unused_options', 'options.sdedit'],
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
      'Must be one of [uniform, quad, linspace, trailing, uniform-linspace, uniform-trailing, quad-float32] (did you mean "quad"?)',
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
  test('a new request gets 503 with Retry-After, counted as rejected, and health says draining with a 503 (readiness probes take the instance out)', async () => {
    const closing = await startServer({ model: server.service.pipeline.model });
    try {
      await closing.service.close();
      const refused = await closing.post('/v1/sample', { n_samples: 1, skip_steps: 3 });
      expect(refused.headers.get('retry-after')).toBe('5');
      await expectError(refused, 503, 'shutting_down');
      const answer = await fetch(`${closing.url}/v1/health`);
      expect(answer.status).toBe(503);
      const health = (await answer.json()) as { status: string; requests: { rejected: number } };
      expect(health.status).toBe('draining');
      expect(health.requests.rejected).toBe(1);
    } finally {
      await closing.stop();
    }
  });
});
