/** Runs a page's steps as a reader would, in a fresh copy of the repository (see test/docs-commands.test.ts). */
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type Segment, claimedOutputs, logicalLines, segments, withPort } from './doc-blocks.ts';
import { freePort } from './edge-runtimes.ts';
import { tempDirSync } from './fixtures.ts';
import { ROOT } from './paths.ts';

/** What a copy leaves out: installed packages (linked instead), and what commands write. */
const NOT_COPIED = new Set(['node_modules', '.git', 'dist', 'runs', 'out', 'samples', 'web/dist', 'bench/models', 'bench/results.json']);

const digest = (path: string) => Bun.hash(readFileSync(path)).toString(16);

/** A copy of the repository's files in a temp folder, node_modules linked, and a digest of each file as copied. */
export function workingCopy(): { dir: string; copied: Map<string, string> } {
  const dir = tempDirSync('ddim-docs-');
  const paths: string[] = [];
  cpSync(ROOT, dir, {
    recursive: true,
    filter: (source) => {
      const path = relative(ROOT, source);
      if (NOT_COPIED.has(path) || /(?:^|\/)node_modules$/.test(path)) return false;
      if (path && statSync(source).isFile()) paths.push(path);
      return true;
    },
  });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return { dir, copied: new Map(paths.map((path) => [path, digest(join(dir, path))])) };
}

/** The copied files that are gone or whose bytes changed since they were copied. */
export function changedFiles(dir: string, copied: ReadonlyMap<string, string>): string[] {
  return [...copied].filter(([path, before]) => !existsSync(join(dir, path)) || digest(join(dir, path)) !== before).map(([path]) => path);
}

export interface StepResult {
  readonly what: string;
  readonly ok: boolean;
  readonly log: string;
}

const ENV = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };

async function runShell(script: string, cwd: string): Promise<StepResult> {
  const child = Bun.spawn(['bash', '-e', '-o', 'pipefail', '-c', script], { cwd, env: ENV, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', timeout: 400_000 });
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { what: script, ok: code === 0, log: `exit ${code}\n${out.slice(-3000)}\n${err.slice(-3000)}` };
}

/** A server started in its own process group (so that wrappers and their children stop together). */
async function startServer(line: string, cwd: string, healthUrl: string, port: number): Promise<{ stop(): Promise<void>; failure?: StepResult }> {
  const logFile = join(cwd, `.server-${Date.now()}.log`);
  // setsid: a group of its own to stop; timeout: no server outlives a killed test run by more than 15 minutes.
  const script = `exec >${JSON.stringify(logFile)} 2>&1; ${line}`;
  const child = Bun.spawn(['setsid', 'timeout', '-k', '10', '900', 'bash', '-c', script], { cwd, env: { ...ENV, PORT: String(port) }, stdin: 'ignore' });
  const stop = async () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {}
    const killer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, 15_000);
    await child.exited;
    clearTimeout(killer);
    rmSync(logFile, { force: true });
  };
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      await fetch(`${healthUrl}/v1/health`);
      return { stop };
    } catch {
      await Bun.sleep(250);
    }
  }
  const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-3000) : '';
  await stop();
  return { stop: async () => {}, failure: { what: line, ok: false, log: `did not answer ${healthUrl}/v1/health (exit ${child.exitCode})\n${log}` } };
}

/** A folder holds a PNG, or (a `--n_samples_each_class` run) its class{c}/ folders do. */
function holdsPng(dir: string): boolean {
  if (!existsSync(dir)) return false;
  const names = readdirSync(dir);
  return names.some((name) => name.endsWith('.png')) || names.some((name) => /^class\d+$/.test(name) && holdsPng(join(dir, name)));
}

/** Every output the lines name exists: files non-empty, folders holding a PNG. */
function missingOutputs(lines: readonly string[], cwd: string): string[] {
  const missing: string[] = [];
  for (const line of lines) {
    const { files, dirs } = claimedOutputs(line);
    for (const file of files) if (!existsSync(join(cwd, file)) || statSync(join(cwd, file)).size === 0) missing.push(file);
    for (const dir of dirs) if (!holdsPng(join(cwd, dir))) missing.push(`${dir}/*.png`);
  }
  return missing;
}

/** Runs one `sh` block: its shell segments in order, each server line in the background until the next one or the end. */
export async function runBlock(body: string, cwd: string): Promise<StepResult[]> {
  const lines = logicalLines(body);
  const hasServer = segments(lines).some((s) => s.kind === 'server');
  const port = hasServer ? await freePort() : 8787;
  const ported = hasServer ? lines.map((line) => line.replace(/\b8787\b/g, String(port))) : lines;
  const healthUrl = `http://127.0.0.1:${/http:\/\/127\.0\.0\.1:(\d+)/.exec(ported.join('\n'))?.[1] ?? port}`;
  const results: StepResult[] = [];
  let server: { stop(): Promise<void> } | undefined;
  try {
    for (const segment of segments(lines) as Segment[]) {
      if (segment.kind === 'server') {
        await server?.stop();
        const started = await startServer(withPort(segment.line, port), cwd, healthUrl, port);
        server = started;
        results.push(started.failure ?? { what: segment.line, ok: true, log: '' });
        if (started.failure) break;
        continue;
      }
      const script = hasServer ? segment.script.replace(/\b8787\b/g, String(port)) : segment.script;
      const result = await runShell(script, cwd);
      results.push(result);
      if (!result.ok) break;
      const missing = missingOutputs(script.split('\n'), cwd);
      if (missing.length) {
        results.push({ what: script, ok: false, log: `named but not written: ${missing.join(', ')}` });
        break;
      }
    }
  } finally {
    await server?.stop();
  }
  return results;
}

/** Writes a named block (```ts my-schedule.ts) into the copy. */
export function writeNamedBlock(cwd: string, file: string, body: string): void {
  writeFileSync(join(cwd, file), body);
}
