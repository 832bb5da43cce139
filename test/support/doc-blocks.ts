/** The fenced blocks of a Markdown page, and the steps a reader takes through them (see test/docs-commands.test.ts). */

export interface Fence {
  /** The info string's first word: `sh`, `text`, `ts`, … ('' when there is none). */
  readonly language: string;
  /** The info string's second word, when it names a file: ```ts my-schedule.ts */
  readonly file?: string;
  readonly body: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
}

/** Fence languages a page may use. `sh` blocks are run; every other one is shown only. */
export const ALLOWED_LANGUAGES = new Set(['sh', 'text', 'ts', 'js', 'yaml', 'json', 'python']);

export function fences(markdown: string): Fence[] {
  const found: Fence[] = [];
  for (const match of markdown.matchAll(/^```([^\n]*)\n([\s\S]*?)^```[ \t]*$/gm)) {
    const [language = '', file] = match[1]!.trim().split(/\s+/);
    const line = markdown.slice(0, match.index).split('\n').length;
    found.push({ language, ...(file ? { file } : {}), body: match[2]!, line });
  }
  return found;
}

/** A block's logical lines: backslash continuations joined, blank lines dropped. */
export function logicalLines(body: string): string[] {
  return body
    .replace(/[ \t]*\\\n\s*/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '');
}

/** A line that starts a long-running server, as a reader would in a second terminal. */
export const SERVER_LINE = /\b(?:ddim serve|cli\.ts serve|serve:edge|workerd serve)\b/;

/** Commands the README shows that CI runs (.ci/run), not this test: installing, and the suite itself. */
export const RUN_BY_CI = ['npm install -g bun', 'bun install', 'bun run test'] as const;

/** A line without the `&&`-joined parts that CI runs; the parts removed are reported. */
export function withoutCiParts(line: string): { rest: string; removed: string[] } {
  const removed: string[] = [];
  const kept = line.split(' && ').filter((part) => {
    const command = part.replace(/\s+#.*$/, '').trim();
    if (!(RUN_BY_CI as readonly string[]).includes(command)) return true;
    removed.push(command);
    return false;
  });
  return { rest: kept.join(' && '), removed };
}

/** A piece of a block: shell lines run together, or one server line. */
export type Segment = { readonly kind: 'shell'; readonly script: string } | { readonly kind: 'server'; readonly line: string };

/** A block cut at its server lines; the lines between run as one script, so `cd` and loops behave as typed. */
export function segments(lines: readonly string[]): Segment[] {
  const out: Segment[] = [];
  let shell: string[] = [];
  const flush = () => {
    if (shell.length) out.push({ kind: 'shell', script: shell.join('\n') });
    shell = [];
  };
  for (const line of lines) {
    if (SERVER_LINE.test(line.replace(/#.*$/, ''))) {
      flush();
      out.push({ kind: 'server', line });
    } else shell.push(line);
  }
  flush();
  return out;
}

/** A server line given `port` (`ddim serve` listens on 8787 unless told: it gets `--port`). */
export function withPort(line: string, port: number): string {
  const ported = line.replace(/\b8787\b/g, String(port));
  if (!/\b(?:ddim|cli\.ts) serve\b/.test(ported) || /--port\b/.test(ported)) return ported;
  return ported.replace(/\b((?:ddim|cli\.ts) serve)\b/, `$1 --port ${port}`);
}

/** The files and folders a command line says it writes, relative to the folder it runs in. */
export function claimedOutputs(line: string): { files: string[]; dirs: string[] } {
  const code = line.replace(/\s#\s.*$/, '');
  const cd = /^cd (\S+) &&/.exec(code)?.[1];
  const at = (path: string) => (cd && !path.startsWith('/') ? `${cd}/${path}` : path);
  const concrete = (path: string) => !/[$"'`*]/.test(path) && path !== '/dev/null';
  const all = (pattern: RegExp) => [...code.matchAll(pattern)].map((m) => m[1]!).filter(concrete).map(at);
  return {
    dirs: all(/--save[-_]dir[ =](\S+)/g),
    files: [
      ...all(/(?:^|\s)-o\s+(\S+)/g),
      ...all(/--save[-_]stats[ =](\S+)/g),
      ...all(/(?:^|\s)--out[ =](\S+)/g),
      ...all(/(?:^|[^0-9&])>\s*([\w./-]+)\s*$/g),
    ],
  };
}
