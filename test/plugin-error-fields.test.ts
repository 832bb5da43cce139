/**
 * One naming scheme for the field an error is about: over HTTP the request's field path
 * (`options.<plugin>.<key>`, `skip_steps`), in the JSON `field` and at the head of the message
 * alike, whoever raised it (an options schema, a mode's plan or run, a schedule); in the CLI the
 * config path the user typed. Through a real server on a loopback port and the real CLI.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { runCli } from './support/cli.ts';
import { ROOT, tempDirSync } from './support/fixtures.ts';
import { expectError } from './support/server-answers.ts';
import { type TestServer, startServer } from './support/server.ts';

const REFUSING = join(ROOT, 'test/fixtures/plugins/refusing.ts');
const STRIDED = join(ROOT, 'test/fixtures/plugins/strided-schedule.ts');

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ overrides: [`plugins=[${REFUSING},${STRIDED}]`] });
});
afterAll(() => server.stop());

describe("a plugin's errors over HTTP name the request field, in `field` and in the message", () => {
  const cases: [string, string, Record<string, unknown>, string, string][] = [
    ["its options schema, about one key", '/v1/modes/refusing', { options: { refusing: { level: 2 } } }, 'invalid_field', 'options.refusing.level'],
    ["its options schema, about a misspelt key", '/v1/modes/refusing', { options: { refusing: { levle: 0.3 } } }, 'invalid_field', 'options.refusing.levle'],
    ["its plan, in a message that starts with the option's config path", '/v1/modes/refusing', { options: { refusing: { level: 0.95 } } }, 'invalid_field', 'options.refusing.level'],
    ['its plan, in a plain message with { path }', '/v1/modes/refusing', { options: { refusing: { level: 0.05 } } }, 'invalid_field', 'options.refusing.level'],
    ['its run, once sampling started', '/v1/modes/refusing', { n_samples: 1, skip_steps: 2 }, 'invalid_input', 'options.refusing.level'],
    ["a schedule's timesteps", '/v1/sample', { skip_type: 'strided', options: { strided: { offset: 5000 } } }, 'invalid_field', 'options.strided.offset'],
    ['a built-in schedule asked for more steps than T', '/v1/sample', { skip_steps: 1001 }, 'invalid_field', 'skip_steps'],
  ];
  for (const [what, path, body, code, field] of cases) {
    test(what, async () => {
      const message = await expectError(await server.post(path, body), 400, code, field);
      expect(message).toStartWith(`${field}: `);
      expect(message).not.toContain('sampler.options');
    });
  }

  test('a message that names no field gets none, rather than a wrong one', async () => {
    const response = await server.post('/v1/modes/refusing', { n_samples: 13, skip_steps: 2 });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: Record<string, unknown> };
    expect(error).toEqual({ status: 400, code: 'invalid_field', message: 'this mode draws no 13 pictures' });
  });
});

describe('the same errors in the CLI name the config path', () => {
  test("a plan's refusal and a schema's, one line each, exit 2", async () => {
    const dir = tempDirSync();
    const plan = await runCli(['sample', '--plugin', REFUSING, '--mode', 'refusing', 'sampler.options.refusing.level=0.95', '--save_dir', dir, '--quiet']);
    expect(plan.exitCode).toBe(2);
    expect(plan.stderr).toBe('error: sampler.options.refusing.level: 0.95 is too bright; give at most 0.9\n');
    const schema = await runCli(['sample', '--plugin', REFUSING, '--mode', 'refusing', 'sampler.options.refusing.level=2', '--save_dir', dir, '--quiet']);
    expect(schema.exitCode).toBe(2);
    expect(schema.stderr).toStartWith('error: sampler.options.refusing.level: ');
  });
});
