/** How test/docs-commands.test.ts reads a page: if these broke, its checks would pass on nothing. */
import { describe, expect, test } from 'bun:test';
import { claimedOutputs, fences, logicalLines, segments, withPort, withoutCiParts } from './support/doc-blocks.ts';

describe('fences', () => {
  test('finds each block with its language, named file and line', () => {
    const page = 'text\n\n```sh\nbun run ddim sample\n```\n\n```ts my-schedule.ts\nexport {};\n```\n\n```\nplain\n```\n';
    expect(fences(page)).toEqual([
      { language: 'sh', body: 'bun run ddim sample\n', line: 3 },
      { language: 'ts', file: 'my-schedule.ts', body: 'export {};\n', line: 7 },
      { language: '', body: 'plain\n', line: 11 },
    ]);
  });
});

describe('a block', () => {
  test('joins continued lines and cuts at server lines', () => {
    const lines = logicalLines('bun run build:web\nnode --import tsx cli.ts serve   # page\ncurl -s http://127.0.0.1:8787/ \\\n  -o page.html\n');
    expect(lines).toEqual(['bun run build:web', 'node --import tsx cli.ts serve   # page', 'curl -s http://127.0.0.1:8787/ -o page.html']);
    expect(segments(lines).map((segment) => segment.kind)).toEqual(['shell', 'server', 'shell']);
  });

  test('gives ddim serve the free port, and replaces 8787 elsewhere', () => {
    expect(withPort('bun run ddim serve   # the API', 4321)).toBe('bun run ddim serve --port 4321   # the API');
    expect(withPort('DDIM_TOKEN=x bun run ddim serve server.auth_token_env=DDIM_TOKEN', 4321)).toBe('DDIM_TOKEN=x bun run ddim serve --port 4321 server.auth_token_env=DDIM_TOKEN');
    expect(withPort('npx workerd serve workerd.capnp --socket-addr http=127.0.0.1:8787', 4321)).toBe('npx workerd serve workerd.capnp --socket-addr http=127.0.0.1:4321');
  });

  test('leaves out only the parts CI runs', () => {
    expect(withoutCiParts('npm install -g bun && bun install && bun run ddim sample   # 64 samples')).toEqual({
      rest: 'bun run ddim sample   # 64 samples',
      removed: ['npm install -g bun', 'bun install'],
    });
    expect(withoutCiParts('bun run test      # the suite').rest).toBe('');
  });
});

describe('claimed outputs', () => {
  test('are the folders and files a line names, relative to a leading cd', () => {
    expect(claimedOutputs('bun run ddim sample --n_samples 4 --save_dir out/a   # -o not.this')).toEqual({ dirs: ['out/a'], files: [] });
    expect(claimedOutputs("curl -s http://x/v1/sample -o sample.png")).toEqual({ dirs: [], files: ['sample.png'] });
    expect(claimedOutputs('bun run ddim eval --save-stats models/stats.json --reference x')).toEqual({ dirs: [], files: ['models/stats.json'] });
    expect(claimedOutputs('bun run ddim plugins > plugins.json   # JSON')).toEqual({ dirs: [], files: ['plugins.json'] });
    expect(claimedOutputs('cd dist/workers && npx workerd serve workerd.capnp --out log.txt')).toEqual({ dirs: [], files: ['dist/workers/log.txt'] });
  });

  test('skip what only the shell knows (variables, quotes, /dev/null)', () => {
    expect(claimedOutputs('bun run ddim sample --save_dir out/sd-$s --quiet')).toEqual({ dirs: [], files: [] });
    expect(claimedOutputs(`curl -s -o /dev/null -w '%{http_code}' http://x`)).toEqual({ dirs: [], files: [] });
  });
});
