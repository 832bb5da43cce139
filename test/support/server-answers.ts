/** Reading the HTTP service's answers in the server tests: JSON bodies, 4xx errors, and the CLI's PNGs to compare with. */
import { expect } from 'bun:test';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { ErrorSchema } from '../../server/response-schemas.ts';
import { runCli } from './cli.ts';
import { tempDirSync } from './fixtures.ts';

/** The CLI's PNGs for these flags, by item index. */
export async function cliPngs(args: string[]): Promise<{ pngs: Buffer[]; run: { timesteps: number[]; seed: number } }> {
  const dir = tempDirSync();
  const result = await runCli([...args, '--save_dir', dir, '--quiet']);
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  const names = readdirSync(dir).filter((f) => f.endsWith('.png'));
  const pngs = names.sort((a, b) => Number.parseInt(a) - Number.parseInt(b)).map((name) => readFileSync(join(dir, name)));
  return { pngs, run: JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) };
}

/** A JSON answer's body, after checking that it says it is JSON. */
export async function json(response: Response): Promise<any> {
  expect(response.headers.get('content-type')).toStartWith('application/json');
  return response.json();
}

/** A 4xx answer: structured JSON naming the field. */
export async function expectError(response: Response, status: number, code: string, field?: string): Promise<string> {
  expect(response.status).toBe(status);
  const body = v.parse(ErrorSchema, await json(response));
  expect(body.error).toMatchObject({ status, code });
  if (field !== undefined) expect(body.error.field).toBe(field);
  return body.error.message;
}
