/**
 * Class-conditional sampling over HTTP through a real server on 127.0.0.1: class (index or
 * name), per-item classes, guidance_scale and n_samples_each_class give the CLI's bytes;
 * guided requests in flight together share model calls and keep their bytes; admission
 * counts two rows per guided item; GET /v1/health lists the model's classes; a bad class
 * is a 400 naming the field and the valid classes; a scale for an unconditional model is a warning.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { HealthSchema, ResultSchema } from '../server/response-schemas.ts';
import { tempDirSync } from './support/fixtures.ts';
import { ROOT } from './support/paths.ts';
import { runCli } from './support/cli.ts';
import { type TestServer, eventually, resultPngs, sseEvents, startServer } from './support/server.ts';
import { cliPngs, expectError, json } from './support/server-answers.ts';

const MODEL = join(ROOT, 'test/fixtures/conditional/standin.onnx');
const CONFIG = join(ROOT, 'test/fixtures/conditional/standin.yaml');
const CIFAR = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const CLI = ['sample', '-c', CONFIG, '--weights', MODEL, '--skip_steps', '4', '--seed', '11'];
const FIELDS = { skip_steps: 4, seed: 11 };

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ config: CONFIG, overrides: [`sampler.weights=${MODEL}`, 'server.max_samples_per_request=20', 'server.max_batch=64'] });
});
afterAll(() => server.stop());

async function pngsOf(response: Response): Promise<Buffer[]> {
  expect(response.status).toBe(200);
  return resultPngs(await json(response));
}

describe('guided sampling over HTTP gives the CLI\'s bytes', () => {
  test('GET /v1/health tells the model\'s classes (names and null class)', async () => {
    const health = v.parse(HealthSchema, await (await fetch(`${server.url}/v1/health`)).json());
    expect(health.model.classes).toEqual({ num_classes: 10, names: CIFAR, null_class: -1 });
  });

  test('/openapi.json documents the class fields where a mode reads them, and the classes in Health', async () => {
    const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as { components: { schemas: Record<string, any> } };
    const { SampleRequest, InterpolateRequest, SdeditRequest, Health } = document.components.schemas;
    for (const field of ['class', 'classes', 'guidance_scale', 'n_samples_each_class']) {
      expect(SampleRequest.properties).toHaveProperty(field);
      expect(InterpolateRequest.properties).toHaveProperty(field);
    }
    expect(SdeditRequest.properties).toHaveProperty('guidance_scale');
    expect(SdeditRequest.properties).toHaveProperty('classes');
    expect(SdeditRequest.properties).not.toHaveProperty('n_samples_each_class');
    expect(SampleRequest.properties.guidance_scale.description).toContain('classifier-free guidance');
    expect(Health.properties.model.properties.classes.description).toContain('class-conditional');
  });

  test('class by name and by index with guidance_scale: the same bytes as ddim sample --class --guidance_scale', async () => {
    const cli = await cliPngs([...CLI, '--class', 'cat', '--guidance_scale', '3', '--n_samples', '3']);
    const byName = await pngsOf(await server.post('/v1/sample', { ...FIELDS, class: 'cat', guidance_scale: 3, n_samples: 3 }));
    const byIndex = await pngsOf(await server.post('/v1/modes/sample', { ...FIELDS, class: 3, guidance_scale: 3, n_samples: 3 }));
    expect(byName).toEqual(cli.pngs);
    expect(byIndex).toEqual(cli.pngs);
    // The scale matters: s = 1 (conditional, unguided) draws other images from the same noise.
    const unguided = await pngsOf(await server.post('/v1/sample', { ...FIELDS, class: 'cat', n_samples: 3 }));
    expect(unguided[0]!.equals(cli.pngs[0]!)).toBe(false);
  });

  test('n_samples_each_class: item i is class ⌊i/K⌋, the bytes of the CLI\'s class{c}/{idx}.png', async () => {
    const dir = tempDirSync();
    const run = await runCli([...CLI, '--n_samples_each_class', '1', '--guidance_scale', '2', '--save_dir', dir, '--quiet']);
    expect(run.exitCode).toBe(0);
    const answer = await server.post('/v1/sample', { ...FIELDS, n_samples_each_class: 1, guidance_scale: 2 });
    expect(answer.status).toBe(200);
    const result = v.parse(ResultSchema, await json(answer));
    // Each image says its class: the folder the CLI writes it to.
    expect(result.images.map((image) => image.class)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const served = resultPngs(result);
    expect(served).toHaveLength(10);
    for (let c = 0; c < 10; c++) expect(served[c]!.equals(readFileSync(join(dir, `class${c}`, '0.png')))).toBe(true);
  });

  test('per-item classes: item i is item i of the CLI run with --class classes[i], and of --classes', async () => {
    const classes = ['ship', 1, 'cat'];
    const answer = await server.post('/v1/sample', { ...FIELDS, classes, guidance_scale: 3 });
    expect(answer.status).toBe(200);
    const result = v.parse(ResultSchema, await json(answer));
    expect(result.images.map((image) => image.class)).toEqual([8, 1, 3]);
    const served = resultPngs(result);
    const cli = await cliPngs([...CLI, '--guidance_scale', '3', ...classes.flatMap((c) => ['--classes', String(c)])]);
    expect(served).toEqual(cli.pngs);
    // As multipart/form-data text parts (read like flag values: a YAML list).
    const form = new FormData();
    for (const [name, value] of Object.entries({ ...FIELDS, guidance_scale: 3, classes: '[ship, 1, cat]' })) form.append(name, String(value));
    expect(await pngsOf(await server.post('/v1/sample', form))).toEqual(served);
    for (const [item, c] of classes.entries()) {
      const one = await cliPngs([...CLI, '--guidance_scale', '3', '--class', String(c), '--n_samples', String(item + 1)]);
      expect(served[item]!.equals(one.pngs[item]!)).toBe(true);
    }
  });

  test('interpolate takes class and guidance_scale too, with the CLI\'s bytes', async () => {
    const cli = await cliPngs([...CLI, '--mode', 'interpolate', '--class', 'horse', '--guidance_scale', '2', '--n_samples', '1', '--n_interpolate', '3']);
    const served = await pngsOf(await server.post('/v1/interpolate', { ...FIELDS, class: 'horse', guidance_scale: 2, n_samples: 1, n_interpolate: 3 }));
    expect(served).toEqual(cli.pngs);
  });

  test('an image mode takes per-item classes, one per input image, with the CLI\'s bytes', async () => {
    const inputs = tempDirSync();
    const images = await pngsOf(await server.post('/v1/sample', { ...FIELDS, class: 'frog', n_samples: 2 }));
    images.forEach((png, i) => writeFileSync(join(inputs, `${i}.png`), png));
    const base64 = images.map((png) => png.toString('base64'));
    const fields = { ...FIELDS, images: base64, guidance_scale: 2, options: { sdedit: { strength: 0.6 } } };
    const served = await pngsOf(await server.post('/v1/sdedit', { ...fields, classes: ['bird', 8] }));
    const sdedit = ['--mode', 'sdedit', '--input_dir', inputs, '--guidance_scale', '2', 'sampler.options.sdedit.strength=0.6'];
    const cli = await cliPngs([...CLI, ...sdedit, '--classes', 'bird', '--classes', '8']);
    expect(served).toEqual(cli.pngs);
    const message = await expectError(await server.post('/v1/sdedit', { ...fields, classes: [1, 2, 3] }), 400, 'invalid_field', 'classes');
    expect(message).toContain('3 classes for 2 items');
  });

  test('two guided requests in flight together share model calls and keep their own bytes', async () => {
    const bodies = [
      { ...FIELDS, class: 'dog', guidance_scale: 3, n_samples: 2 },
      { ...FIELDS, classes: [0, 9, 4], guidance_scale: 1.5, seed: 3 },
      { ...FIELDS, guidance_scale: 0, n_samples: 2 },
    ];
    // An unconditional run of a conditional model (s = 0): its images have no class.
    const unconditional = await json(await server.post('/v1/sample', bodies[2]!));
    expect(unconditional.images.every((image: object) => !('class' in image))).toBe(true);
    const alone: Buffer[][] = [];
    for (const body of bodies) alone.push(await pngsOf(await server.post('/v1/sample', body)));
    const before = (await server.health()).scheduler;
    const together = await Promise.all(bodies.map(async (body) => pngsOf(await server.post('/v1/sample', body))));
    const after = (await server.health()).scheduler;
    expect(together).toEqual(alone);
    expect(after.shared_calls).toBeGreaterThan(before.shared_calls);
    // 4 steps of 2·2 + 3·2 + 2 rows: fewer calls than the 12 the requests would make alone.
    expect(after.rows - before.rows).toBe(4 * (4 + 6 + 2));
    expect(after.model_calls - before.model_calls).toBeLessThan(12);
  });
});

describe('guided admission and errors', () => {
  test('admission counts 2 rows per guided item: in flight and against the per-request limit', async () => {
    const controller = new AbortController();
    const long = await server.post('/v1/sample', { class: 1, guidance_scale: 3, n_samples: 3, skip_steps: 1000 }, { accept: 'text/event-stream' }, controller.signal);
    const events = sseEvents(long);
    expect((await events.next()).value?.event).toBe('accepted');
    expect((await server.health()).in_flight).toEqual({ requests: 1, samples: 6 });
    controller.abort();
    await eventually(server.health, (h) => h.in_flight.requests === 0);

    // 20 rows are allowed per request: 11 guided items make 22, 11 unguided 11.
    const message = await expectError(await server.post('/v1/sample', { ...FIELDS, class: 1, guidance_scale: 3, n_samples: 11 }), 413, 'too_many_samples', 'n_samples');
    expect(message).toContain('11 items, each row run with and without its class (guidance_scale 3) (22 samples)');
    expect((await server.post('/v1/sample', { ...FIELDS, class: 1, n_samples: 11 })).status).toBe(200);
    expect((await server.post('/v1/sample', { ...FIELDS, class: 1, n_samples: 11, guidance_scale: 0 })).status).toBe(200);
    await expectError(await server.post('/v1/sample', { ...FIELDS, n_samples_each_class: 2, guidance_scale: 3 }), 413, 'too_many_samples', 'n_samples_each_class');
    await expectError(await server.post('/v1/sample', { ...FIELDS, classes: Array(11).fill(0), guidance_scale: 3 }), 413, 'too_many_samples', 'classes');
  });

  test('a class out of range or an unknown name is a 400 naming the field and the valid classes', async () => {
    const range = await expectError(await server.post('/v1/sample', { ...FIELDS, class: 10 }), 400, 'invalid_field', 'class');
    expect(range).toContain('expected a class 0..9 (airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck)');
    const name = await expectError(await server.post('/v1/sample', { ...FIELDS, class: 'kat' }), 400, 'invalid_field', 'class');
    expect(name).toContain('(did you mean "cat"?)');
    const item = await expectError(await server.post('/v1/sample', { ...FIELDS, classes: [2, 'shipp'] }), 400, 'invalid_field', 'classes');
    expect(item).toContain('item 1');
    expect(item).toContain('truck');
    await expectError(await server.post('/v1/sample', { ...FIELDS, class: -1 }), 400, 'invalid_field', 'class');
    await expectError(await server.post('/v1/sample', { ...FIELDS, class: 1, n_samples_each_class: 2 }), 400, 'invalid_field', 'class');
    const none = await expectError(await server.post('/v1/sample', { ...FIELDS }), 400, 'invalid_field', 'class');
    // In the request's terms: fields, not flags; the model by its file name, not the server's path.
    expect(none).toContain('model standin.onnx is class-conditional: give class C or n_samples_each_class K');
    expect(none).toContain('guidance_scale 0 samples without a class');
    expect(none).not.toContain(ROOT);
  });

  test('an image mode takes no n_samples_each_class (its items are its images)', async () => {
    const message = await expectError(await server.post('/v1/sdedit', { ...FIELDS, n_samples_each_class: 1 }), 400, 'unknown_field', 'n_samples_each_class');
    expect(message).toContain('/v1/');
  });
});

describe('an unconditional model over HTTP', () => {
  let plain: TestServer;
  beforeAll(async () => {
    plain = await startServer();
  });
  afterAll(() => plain.stop());

  test('health says it has no classes, and a class is a 400', async () => {
    const health = v.parse(HealthSchema, await (await fetch(`${plain.url}/v1/health`)).json());
    expect(health.model.classes).toBeNull();
    const message = await expectError(await plain.post('/v1/sample', { n_samples: 1, skip_steps: 2, class: 3 }), 400, 'invalid_field', 'class');
    expect(message).toContain('model ddpm_fashion_mnist.onnx is not class-conditional');
    expect(message).not.toContain(ROOT);
    await expectError(await plain.post('/v1/sample', { n_samples: 1, skip_steps: 2, classes: [3] }), 400, 'invalid_field', 'classes');
  });

  test('a guidance scale does nothing there: the answer says so, with the unguided bytes, as the CLI warns', async () => {
    const fields = { n_samples: 1, skip_steps: 2, seed: 4 };
    const guided = await json(await plain.post('/v1/sample', { ...fields, guidance_scale: 3 }));
    const plainRun = await json(await plain.post('/v1/sample', fields));
    const warning = 'guidance_scale 3: the model is not class-conditional (its inputs are x and t), so it samples unguided; leave the scale out';
    expect(guided.warnings).toEqual([warning]);
    expect(plainRun.warnings).toEqual([]);
    expect(resultPngs(guided)).toEqual(resultPngs(plainRun));
    const cli = await runCli(['sample', '--n_samples', '1', '--skip_steps', '2', '--seed', '4', '--guidance_scale', '3', '--save_dir', tempDirSync(), '--quiet']);
    expect(cli.exitCode).toBe(0);
    expect(cli.stderr).toContain(warning);
  });
});
