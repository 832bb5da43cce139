/**
 * A few hundred malformed and random requests against a real server: every answer is a
 * 4xx JSON error (or, for a random body that happens to be valid, a result), never a
 * 5xx; afterwards the server still serves the correct image.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type TestServer, eventually, startServer } from './support/server.ts';
import { prng } from './support/prng.ts';


const FIELDS = ['n_samples', 'seed', 'ddim_eta', 'skip_type', 'skip_steps', 'n_interpolate', 'options', 'preview_every', 'images'];
const PATHS = ['/v1/sample', '/v1/interpolate', '/v1/reconstruction'];

interface Shot {
  readonly kind: string;
  readonly path: string;
  readonly body: string | Uint8Array | FormData;
  readonly headers: Record<string, string>;
  /** A definite defect: the answer must be 4xx. Otherwise 200 is allowed too. */
  readonly malformed: boolean;
}

/** The seeded draws the shots are made of: one PRNG, consumed in a fixed order. */
interface Draws {
  readonly random: () => number;
  pick<T>(items: readonly T[]): T;
  int(n: number): number;
  bytes(n: number): Uint8Array;
  text(n: number): string;
  anyValue(depth?: number): unknown;
}

function makeDraws(seed: number): Draws {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const int = (n: number) => Math.floor(random() * n);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const text = (n: number) => String.fromCharCode(...Array.from({ length: n }, () => 32 + int(95)));
  const anyValue = (depth = 0): unknown => {
    switch (int(depth > 2 ? 6 : 8)) {
      case 0: return int(2000) - 1000;
      case 1: return random() * 10 - 5;
      case 2: return text(int(12));
      case 3: return random() < 0.5;
      case 4: return null;
      case 5: return pick([1e308, -0, 2 ** 60, Number.MAX_SAFE_INTEGER + 2, 0.1]);
      case 6: return Array.from({ length: int(4) }, () => anyValue(depth + 1));
      default: return Object.fromEntries(Array.from({ length: int(4) }, () => [pick([...FIELDS, text(5)]), anyValue(depth + 1)]));
    }
  };
  return { random, pick, int, bytes, text, anyValue };
}

type FieldValues = Record<string, () => unknown>;

/** For each field, a value of the wrong type or out of range. */
function wrongTypes({ pick, text }: Draws): FieldValues {
  return {
    n_samples: () => pick(['2', true, [1], { n: 1 }, 0, -3, 1.5]),
    seed: () => pick(['7', -1, 0.5, 2 ** 60, [], false]),
    ddim_eta: () => pick(['0.5', -0.1, 1.01, null, {}]),
    skip_type: () => pick([3, '', 'quadd', 'UNIFORM', null, ['uniform']]),
    skip_steps: () => pick([0, -5, 2.5, '10', 10_000_000, true]),
    n_interpolate: () => pick([1, 0, '4', 3.5, null]),
    options: () => pick([[], 'quad', { nope: {} }, { quad: 5 }, { 'a.b': {} }, null]),
    preview_every: () => pick([0, -1, '2', 1.5]),
    images: () => pick([[], 'abc', [1, 2], ['!!!'], [btoa(text(30))], [''], null]),
  };
}

/** For each field, a small valid value. */
function validValues({ random, pick, int }: Draws, validImage: string): FieldValues {
  return {
    n_samples: () => 1 + int(3),
    seed: () => int(1000),
    ddim_eta: () => random(),
    skip_type: () => pick(['uniform', 'quad', 'linspace', 'trailing']),
    skip_steps: () => 1 + int(5),
    n_interpolate: () => 2 + int(2),
    options: () => pick([{}, { uniform: {} }]),
    preview_every: () => 1 + int(3),
    images: () => [validImage],
  };
}

const JSON_TYPE = { 'content-type': 'application/json' };

/** Shot kinds 0 to 8: a definite defect in the body, its type or its fields. */
function malformedShot(kind: number, path: string, draws: Draws, wrongType: FieldValues): Shot {
  const { random, pick, int, bytes, text, anyValue } = draws;
  switch (kind) {
    case 0: {
      const whole = JSON.stringify(Object.fromEntries(FIELDS.slice(0, 1 + int(5)).map((f) => [f, anyValue()])));
      return { kind: 'truncated JSON', path, body: whole.slice(0, 1 + int(whole.length - 1)), headers: JSON_TYPE, malformed: true };
    }
    case 1:
      return { kind: 'random bytes', path, body: Uint8Array.of(0x7b, ...bytes(1 + int(200))), headers: JSON_TYPE, malformed: true };
    case 2: {
      const field = pick(FIELDS.filter((f) => f !== 'images' && f !== 'n_interpolate'));
      return { kind: `bad ${field}`, path: '/v1/sample', body: JSON.stringify({ [field]: wrongType[field]!() }), headers: JSON_TYPE, malformed: true };
    }
    case 3: {
      const field = pick(['n_interpolate', 'images']);
      const body = { [field]: wrongType[field]!(), ...(field === 'images' ? {} : { n_samples: 1 }) };
      return { kind: `bad ${field}`, path: field === 'images' ? '/v1/reconstruction' : '/v1/interpolate', body: JSON.stringify(body), headers: JSON_TYPE, malformed: true };
    }
    case 4:
      return { kind: 'unknown field', path, body: JSON.stringify({ [`x${text(6)}`]: anyValue() }), headers: JSON_TYPE, malformed: true };
    case 5:
      return { kind: 'not an object', path, body: JSON.stringify(pick([1, 'a', null, true, [1, 2], []])), headers: JSON_TYPE, malformed: true };
    case 6:
      return { kind: 'wrong content type', path, body: JSON.stringify({ n_samples: 1, skip_steps: 2 }), headers: { 'content-type': pick(['text/plain', 'application/xml', 'image/png', 'application/x-www-form-urlencoded']) }, malformed: true };
    case 7: {
      const form = new FormData();
      if (random() < 0.5) form.append('images', new Blob([bytes(1 + int(300))]), 'x.png');
      else form.append(pick(['file', 'upload']), new Blob([bytes(20)]), 'y.png');
      form.append('skip_steps', '2');
      return { kind: 'bad upload', path: '/v1/reconstruction', body: form, headers: {}, malformed: true };
    }
    default:
      return {
        kind: 'broken multipart',
        path: '/v1/reconstruction',
        body: `--xyz\r\nContent-Disposition: form-data; name="images"; filename="a.png"\r\n\r\n${text(40)}`,
        headers: { 'content-type': pick(['multipart/form-data; boundary=xyz', 'multipart/form-data']) },
        malformed: true,
      };
  }
}

/** Shot kind 9: random shapes that may be valid, so any answer but a 5xx. */
function randomShot(path: string, draws: Draws, wrongType: FieldValues, validValue: FieldValues): Shot {
  const { random, pick, anyValue } = draws;
  const value = (f: string) => (random() < 0.7 ? validValue[f]!() : random() < 0.5 ? wrongType[f]!() : anyValue());
  // Mostly the endpoint's own fields, sometimes any.
  const own = FIELDS.filter((f) => random() < 0.2 || ((f !== 'images' || path.endsWith('reconstruction')) && (f !== 'n_interpolate' || path.endsWith('interpolate'))));
  const body = Object.fromEntries(own.filter(() => random() < 0.3).map((f) => [f, value(f)]));
  const accept = pick(['*/*', 'image/png', 'text/event-stream', 'text/event-stream;q=0', 'application/json;q=abc', 'image/*, text/*;q=0.1', '', ',,;;', 'x']);
  return { kind: 'random', path, body: JSON.stringify(body), headers: { ...JSON_TYPE, accept }, malformed: false };
}

/** `count` shots from one seed: kinds 0 to 9 in turn, each on a drawn endpoint. */
function makeShots(count: number, seed: number, validImage: string): Shot[] {
  const draws = makeDraws(seed);
  const wrongType = wrongTypes(draws);
  const validValue = validValues(draws, validImage);
  const shots: Shot[] = [];
  for (let i = 0; i < count; i++) {
    const path = draws.pick(PATHS);
    const kind = i % 10;
    shots.push(kind < 9 ? malformedShot(kind, path, draws, wrongType) : randomShot(path, draws, wrongType, validValue));
  }
  return shots;
}

describe('fuzzing the request bodies', () => {
  let server: TestServer;
  let reference: Buffer;
  const good = { n_samples: 1, seed: 3, skip_steps: 3 };

  beforeAll(async () => {
    // Small defaults and limits, so a random body that happens to be valid costs little.
    server = await startServer({
      overrides: ['sampler.n_samples=1', 'diffusion.params.skip_steps=2', 'server.max_samples_per_request=2', 'server.max_steps_per_request=4', 'server.max_queued_samples=6'],
    });
    reference = Buffer.from(await (await server.post('/v1/sample', good, { accept: 'image/png' })).arrayBuffer());
  });
  afterAll(() => server.stop());

  test('300 malformed and random requests: every answer is 4xx JSON (or a result), none is 5xx', async () => {
    const shots = makeShots(300, 20250101, reference.toString('base64'));
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (let i = 0; i < shots.length; i += 25) {
      await Promise.all(
        shots.slice(i, i + 25).map(async (shot, j) => {
          const response = await server.post(shot.path, shot.body, shot.headers);
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          const type = response.headers.get('content-type') ?? '';
          const where = `#${i + j} ${shot.kind} ${shot.path} -> ${response.status}`;
          if (response.status === 200) {
            const answer = await response.text();
            if (type.startsWith('text/event-stream') && !answer.includes('event: result')) failures.push(`${where}: ${answer.slice(-300)}`);
            if (shot.malformed) failures.push(`${where}: a malformed request was served`);
            return;
          }
          if (response.status < 400 || response.status >= 500) failures.push(`${where}: ${await response.text()}`);
          else if (!type.startsWith('application/json')) failures.push(`${where}: content-type ${type}`);
          else {
            const body = (await response.json()) as { error?: { status?: number; code?: unknown; message?: unknown } };
            if (body.error?.status !== response.status || typeof body.error.code !== 'string' || typeof body.error.message !== 'string') {
              failures.push(`${where}: ${JSON.stringify(body)}`);
            }
          }
        }),
      );
    }
    expect(failures).toEqual([]);
    expect([...statuses.keys()].every((s) => s === 200 || (s >= 400 && s < 500))).toBe(true);
    // The barrage did hit the validation paths, not just one of them.
    expect(statuses.get(400)).toBeGreaterThan(150);
    expect(statuses.get(415)).toBeGreaterThan(10);
  });

  test('afterwards the server is idle and serves the same image as before', async () => {
    const health = await eventually(server.health, (h) => h.in_flight.requests === 0);
    expect(health.requests.failed).toBe(0);
    const response = await server.post('/v1/sample', good, { accept: 'image/png' });
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(reference)).toBe(true);
  });
});
