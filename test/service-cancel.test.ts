/**
 * A request whose client left before its run started: the run is cancelled at once and
 * nothing is left unhandled (an unhandled rejection ends a Node process).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { AbortedError } from '../core/errors.ts';
import { prepareRequest } from '../server/prepare-request.ts';
import type { RequestBody } from '../server/request-schemas.ts';
import { type TestServer, startServer } from './support/server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

test('a run whose client already left rejects with AbortedError and leaves no unhandled rejection', async () => {
  const { service } = server;
  const { pipeline } = service;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    for (let i = 0; i < 3; i++) {
      const body = { n_samples: 2, skip_steps: 100, seed: i } as RequestBody;
      const prepared = await prepareRequest(pipeline, pipeline.registry.get('mode', 'sample', 'mode'), body, { images: [], masks: [] });
      const admission = service.admit(prepared);
      await expect(service.run(admission, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortedError);
    }
    // The abandoned runs settle on their own a little later.
    await Bun.sleep(500);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  expect(unhandled).toEqual([]);
  expect(service.inFlight).toEqual({ requests: 0, samples: 0 });
  expect(service.counters.cancelled.client).toBe(3);
});
