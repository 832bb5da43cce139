/**
 * Structured input within limits, over HTTP on the native server and on the edge bundle under
 * `deno serve`: a body nested deeper than 32 levels, holding more than 1,000 keys, objects and
 * lists, or holding a key `__proto__`, `constructor` or `prototype` anywhere is a JSON 400
 * naming the field, before validation walks it; the server serves on. And the same limits on
 * configs through the CLI: one line, exit 2, no stack trace.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildEdge } from '../edge/build.ts';
import { DENO, runCli } from './support/cli.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';
import { type Served, serveProcess } from './support/serve-process.ts';
import { expectError } from './support/server-answers.ts';

/** `{"a":{"a":…1…}}` nested `depth` levels, as JSON text (built flat: no recursion here either). */
const nestedJson = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const PROTOTYPE = `cannot be a key (it names a JavaScript object's prototype)`;

/** [what, JSON body, status, code, field, message] */
const cases: [string, string, number, string, string | undefined, string][] = [
  ['options nested 20,000 deep (120 KB)', `{"options":{"uniform":${nestedJson(20_000)}}}`, 400, 'invalid_field', 'options', 'options: nested more than 32 levels deep; at most 32 are accepted'],
  ['a field nested 33 deep', `{"seed":${nestedJson(32)}}`, 400, 'invalid_field', 'seed', 'seed: nested more than 32 levels deep; at most 32 are accepted'],
  ['options holding 5,000 keys', JSON.stringify({ options: { uniform: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i])) } }), 400, 'invalid_field', 'options', 'options: more than 1000 keys, objects and lists in all; at most 1000 are accepted'],
  ['a body of {"__proto__": {}}', '{"__proto__":{}}', 400, 'unknown_field', '__proto__', `__proto__: "__proto__" ${PROTOTYPE}`],
  ['options.uniform.__proto__', '{"options":{"uniform":{"__proto__":{"x":1}}}}', 400, 'unknown_field', 'options.uniform.__proto__', `options.uniform.__proto__: "__proto__" ${PROTOTYPE}`],
  ['options.uniform.constructor', '{"options":{"uniform":{"constructor":1}}}', 400, 'unknown_field', 'options.uniform.constructor', `options.uniform.constructor: "constructor" ${PROTOTYPE}`],
  ['options.prototype', '{"options":{"prototype":{}}}', 400, 'unknown_field', 'options.prototype', `options.prototype: "prototype" ${PROTOTYPE}`],
  ['a field named toString', '{"toString":1}', 400, 'unknown_field', 'toString', 'toString: unknown field; valid fields:'],
];

function limitsOverHttp(name: string, start: () => Promise<Served>): void {
  describe(name, () => {
    let server: Served;
    beforeAll(async () => {
      server = await start();
    }, 120_000);
    afterAll(() => server?.stop());
    const post = (body: string, type = 'application/json') => fetch(`${server.url}/v1/sample`, { method: 'POST', headers: { 'content-type': type }, body });

    for (const [what, body, status, code, field, message] of cases) {
      test(`${what}: ${status} ${code} naming ${field}`, async () => {
        expect(await expectError(await post(body), status, code, field)).toStartWith(message);
      });
    }

    test('the same in a multipart options part', async () => {
      const form = new FormData();
      form.append('options', '{"uniform":{"__proto__":{}}}');
      expect(await expectError(await fetch(`${server.url}/v1/sample`, { method: 'POST', body: form }), 400, 'unknown_field', 'options.uniform.__proto__')).toContain(PROTOTYPE);
    });

    test('a body nested 400,000 deep (800 KB, under the 1 MiB body limit at the edge) is a 400, and the server serves on', async () => {
      const response = await post(`${'['.repeat(400_000)}${']'.repeat(400_000)}`);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { message: string } }).error.message.split('\n')).toHaveLength(1);
      const ok = await post(JSON.stringify({ n_samples: 1, skip_steps: 2, seed: 1, options: { uniform: {} } }));
      expect(ok.status).toBe(200);
    }, 60_000);
  });
}

limitsOverHttp('ddim serve (Bun)', () => serveProcess(['bun', join(ROOT, 'cli.ts'), 'serve', '--port', '0', '--host', '127.0.0.1', '--quiet'], { cwd: ROOT, lifetimeMs: 300_000 }));

limitsOverHttp('the edge bundle under deno serve', async () => {
  const { outdir } = await buildEdge({ outdir: tempDirSync('ddim-edge-limits-') });
  return serveProcess(
    [DENO, 'serve', '--no-prompt', `--allow-read=${outdir}`, '--allow-net=127.0.0.1', '--host', '127.0.0.1', '--port', '0', join(outdir, 'worker.js')],
    { cwd: outdir, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' }, listening: /Listening on (http:\/\/127\.0\.0\.1:\d+)/, lifetimeMs: 300_000 },
  );
});

describe('configs and overrides through the CLI', () => {
  const dir = tempDirSync('ddim-config-limits-');
  const model = join(ROOT, 'models/ddpm_fashion_mnist.yaml');
  const config = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, `extends: ${model}\n${text}`);
    return file;
  };
  const blockNested = (depth: number) => Array.from({ length: depth }, (_, i) => `${'  '.repeat(i + 3)}a:`).join('\n') + ' 1';
  const cases: [string, string[], RegExp][] = [
    ['a config nested 40 deep', ['--config', config('deep.yaml', `sampler:\n  options:\n    uniform:\n${blockNested(40)}\n`)], /^error: \S+deep\.yaml: sampler: nested more than 32 levels deep; at most 32 are accepted$/],
    ['a config nested 20,000 deep', ['--config', config('deeper.yaml', `sampler: ${'{a: '.repeat(20_000)}1${'}'.repeat(20_000)}\n`)], /^error: \S+deeper\.yaml: not valid YAML: nested too deeply \(at most 32 levels are accepted\)$/],
    ['a config with 3,000 option keys', ['--config', config('wide.yaml', `sampler:\n  options:\n    uniform:\n${Array.from({ length: 3000 }, (_, i) => `      k${i}: ${i}`).join('\n')}\n`)], /^error: \S+wide\.yaml: sampler: more than 1000 keys, objects and lists in all; at most 1000 are accepted$/],
    ['a __proto__ key in a config', ['--config', config('proto.yaml', 'sampler:\n  options:\n    uniform:\n      __proto__: {x: 1}\n')], /^error: \S+proto\.yaml: sampler\.options\.uniform\.__proto__: "__proto__" cannot be a config key \(it names a JavaScript object's prototype\)$/],
    ['a __proto__ key in an override value', ['sampler.options.uniform={__proto__: {x: 1}}'], /: sampler\.options\.uniform\.__proto__: "__proto__" cannot be a config key/],
    ['an override value nested 40 deep', [`sampler.options.uniform=${'{a: '.repeat(40)}1${'}'.repeat(40)}`], /: sampler\.options\.uniform\.a: nested more than 32 levels deep; at most 32 are accepted$/],
    ['an override of toString', ['toString=1'], /^error: toString=1: unknown top-level key "toString"; valid keys: seed, data, diffusion, sampler, server, plugins$/],
  ];
  for (const [what, args, message] of cases) {
    test(`${what}: one line, exit 2`, async () => {
      const run = await runCli(['sample', ...args, '--n_samples', '1', '--save_dir', join(dir, 'out')]);
      expect(run.stderr.trim()).toMatch(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.exitCode).toBe(2);
    }, 60_000);
  }
});
