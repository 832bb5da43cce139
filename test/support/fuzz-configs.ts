/**
 * Malformed configs and `key=value` overrides for the fuzz pass: random YAML, wrong types,
 * huge numbers, deep nesting, alias bombs, bytes that are not UTF-8. Every draw keeps the
 * run short when it is valid (one or two samples, a few steps), so a slow case is a hang.
 */
import type { Draws } from './fuzz-harness.ts';

/** Every config key the sampler reads, and a few it does not. */
export const CONFIG_PATHS = [
  'seed', 'data', 'data.img_size', 'data.img_channels', 'diffusion', 'diffusion.params', 'diffusion.params.total_steps',
  'diffusion.params.beta_schedule', 'diffusion.params.beta_start', 'diffusion.params.beta_end', 'diffusion.params.betas',
  'diffusion.params.objective', 'diffusion.params.clip_denoised', 'diffusion.params.skip_type', 'diffusion.params.skip_steps',
  'diffusion.params.eta', 'sampler', 'sampler.weights', 'sampler.providers', 'sampler.intra_op_threads', 'sampler.inter_op_threads',
  'sampler.micro_batch', 'sampler.n_samples', 'sampler.mode', 'sampler.n_interpolate', 'sampler.input_dir', 'sampler.mask_dir',
  'sampler.mask', 'sampler.save_npy', 'sampler.noise', 'sampler.options', 'sampler.options.sdedit.strength',
  'sampler.options.trajectory.every', 'sampler.options.ilvr.factor', 'sampler.options.quad', 'plugins', 'server', 'server.port',
  'model', 'train.lr', 'extends',
] as const;

/** Keys that reach into prototypes or are not key paths at all. */
const HOSTILE_KEYS = [
  '__proto__.polluted', 'sampler.__proto__.polluted', 'sampler.options.__proto__.polluted', 'constructor.prototype.polluted',
  'sampler.constructor.prototype.n_samples', 'diffusion.params.toString', 'sampler.hasOwnProperty', 'data.__proto__',
  'a..b', '.sampler', 'sampler.', 'sämpler.mode', '', ' sampler.mode ', 'sampler.options.sdedit.__proto__.strength',
];

/**
 * Values of every kind, as YAML text. Numbers are small, invalid or far too large (above
 * 2^32): never a count in between, which would be a valid but long run.
 */
export const YAML_VALUES = [
  '0', '1', '2', '3', '-1', '-0', '0.5', '1.5', '-7.25', '1e15', '9007199254740993', '1e308', '-1e308', '1e400', '.inf', '-.inf', '.nan',
  '0x10', '0o17', '1_000', 'true', 'false', 'yes', 'null', '~', "''", '""', "'3'", '"abc"', 'sample', 'interpolate', 'trajectory',
  'reconstruction', 'inpaint', 'uniform', 'quad', 'cosine', 'pred_eps', 'cuda', '[cpu]', '[cuda, cpu]', '[]', '[1, 2, 3]',
  '[[[[]]]]', '{}', '{a: 1}', '{quad: {power: 3}}', '{sdedit: {strength: 2}}', '{trajectory: {every: 0}}', '/nonexistent/file',
  '/dev/null', '/', '.', '..', '"\\0"', '"\\u0000\\u00ff"', 'é😀', '!!binary AAEC', '!!str 3', '!!int x', '!!float abc',
  '!unknown tag', '!!set {a, b}', '!!omap [a: 1]', '&anchor 3', '*missing', '"unterminated', '[1, 2', '{a: ', '- a\n- b', ': x',
  '|\n  block', '>-\n  folded', '? complex\n: key', '%YAML 1.2\n---\n3', '---\n1\n---\n2', '@reserved', '`tick',
];

/**
 * Values where a crash was likely: sizes past what memory or the noise streams allow, thread
 * counts that never finish starting, βs that make ᾱ zero, plugin options out of range.
 */
const RISKY: readonly (readonly [string, string])[] = [
  ['diffusion.params.total_steps', '1000000000'], ['diffusion.params.total_steps', '1e15'], ['diffusion.params.skip_steps', '1e15'],
  ['sampler.intra_op_threads', '100000'], ['sampler.inter_op_threads', '1e15'], ['sampler.n_samples', '1e15'], ['sampler.n_samples', '9007199254740993'],
  ['sampler.micro_batch', '1e15'], ['sampler.n_interpolate', '100000000'], ['diffusion.params.beta_end', '16'], ['diffusion.params.beta_start', '1'],
  ['diffusion.params.beta_end', '0.999'], ['diffusion.params.beta_end', '0.5'], ['seed', '1e300'], ['data.img_size', '100000'], ['data.img_channels', '1e15'],
  ['diffusion.params.betas', '[0.5, 0.5]'], ['diffusion.params.eta', '1e308'], ['sampler.options.trajectory.every', '1e15'],
  ['sampler.options.sdedit.strength', '1e15'], ['sampler.options.ilvr.factor', '1e15'], ['sampler.providers', '[cuda]'],
];

/** A risky value set, with the mode that reads it where one does. */
function risky(draws: Draws, tree: Tree): void {
  const [path, value] = draws.pick(RISKY);
  put(tree, path, value);
  if (path === 'sampler.n_samples') put(tree, 'sampler.micro_batch', draws.pick(['2', '1e15']));
  if (path === 'sampler.n_interpolate') put(tree, 'sampler.mode', 'interpolate');
  if (path.startsWith('sampler.options.')) put(tree, 'sampler.mode', path.split('.')[2]!);
}

function yamlValue(draws: Draws): string {
  const roll = draws.int(10);
  if (roll === 0) return JSON.stringify(draws.text(1 + draws.int(40)));
  if (roll === 1) return 'x'.repeat(10_000 + draws.int(90_000));
  return draws.pick(YAML_VALUES);
}

/** A mapping or list nested `depth` levels deep, in flow or block style. */
function nested(depth: number, draws: Draws): string {
  switch (draws.int(3)) {
    case 0:
      return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    case 1:
      return `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`;
    default:
      return Array.from({ length: Math.min(depth, 400) }, (_, i) => `${'  '.repeat(i + 1)}k${i}:`).join('\n') + ' 1';
  }
}

/** Aliases that expand exponentially (a "billion laughs" document). */
function aliasBomb(levels: number): string {
  const lines = ['bomb0: &b0 [lol, lol, lol, lol]'];
  for (let i = 1; i < levels; i++) lines.push(`bomb${i}: &b${i} [*b${i - 1}, *b${i - 1}, *b${i - 1}, *b${i - 1}]`);
  return lines.join('\n');
}

/** A config as nested mappings whose leaves are YAML text, so a draw can set any path. */
type Tree = { [key: string]: Tree | string };

function put(tree: Tree, path: string, value: string): Tree {
  const keys = path.split('.');
  let node = tree;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node = node[key] = typeof next === 'object' ? next : {};
  }
  node[keys.at(-1)!] = value;
  return tree;
}

function render(tree: Tree, indent = 0): string {
  const pad = '  '.repeat(indent);
  return Object.entries(tree)
    .map(([key, value]) => {
      if (typeof value === 'object') return `${pad}${key}:\n${render(value, indent + 1)}`;
      if (!value.includes('\n')) return `${pad}${key}: ${value}`;
      return `${pad}${key}:\n${value.split('\n').map((line) => `${pad}  ${line}`).join('\n')}`;
    })
    .join('\n');
}

/** A valid, quick config that a mutation starts from (`extends` the shipped one). */
function baseTree(defaultConfig: string): Tree {
  return { extends: defaultConfig, diffusion: { params: { skip_steps: '3' } }, sampler: { n_samples: '2', micro_batch: '2' } };
}

/** One malformed (or, by chance, valid) config file, and what it tries. */
export function fuzzConfig(draws: Draws, defaultConfig: string, inputDir: string): { kind: string; bytes: Uint8Array } {
  const tree = baseTree(defaultConfig);
  const encode = (text: string) => new TextEncoder().encode(text);
  const mutated = (count: number) => {
    for (let i = 0; i < count; i++) put(tree, draws.pick(CONFIG_PATHS), yamlValue(draws));
    return render(tree);
  };
  const kind = draws.pick(['wrong value', 'wrong value', 'wrong value', 'two values', 'risky value', 'risky value', 'deep nesting', 'alias bomb', 'random text', 'random bytes', 'not UTF-8', 'UTF-16', 'image mode'] as const);
  switch (kind) {
    case 'wrong value':
      return { kind, bytes: encode(mutated(1)) };
    case 'two values':
      return { kind, bytes: encode(mutated(2)) };
    case 'risky value':
      risky(draws, tree);
      return { kind, bytes: encode(render(tree)) };
    case 'deep nesting':
      put(tree, draws.pick(['sampler.options.x', 'extra', 'diffusion.params.betas', 'data.extra']), nested(draws.pick([50, 1000, 5000, 20_000]), draws));
      return { kind, bytes: encode(render(tree)) };
    case 'alias bomb':
      return { kind, bytes: encode(`${render(tree)}\nextra:\n${aliasBomb(draws.pick([5, 9, 12, 20])).replace(/^/gm, '  ')}`) };
    case 'random text':
      return { kind, bytes: encode(Array.from({ length: 1 + draws.int(8) }, () => draws.text(draws.int(60))).join(draws.pick(['\n', ': ', '\n  ', '- ']))) };
    case 'random bytes':
      return { kind, bytes: draws.bytes(draws.int(2000)) };
    case 'not UTF-8': {
      const bytes = encode(mutated(1));
      for (let i = 0; i < 1 + draws.int(6); i++) bytes[draws.int(bytes.length)] = 0x80 + draws.int(128);
      return { kind, bytes };
    }
    case 'UTF-16': {
      const text = `\ufeff${render(tree)}`;
      const out = new Uint8Array(text.length * 2);
      const littleEndian = draws.random() < 0.5;
      for (let i = 0; i < text.length; i++) new DataView(out.buffer).setUint16(2 * i, text.charCodeAt(i), littleEndian);
      return { kind, bytes: out };
    }
    case 'image mode':
      put(tree, 'sampler.mode', draws.pick(['reconstruction', 'sdedit', 'ilvr', 'inpaint']));
      put(tree, 'sampler.input_dir', inputDir);
      return { kind, bytes: encode(mutated(1)) };
  }
}

/** One `key.path=value` override, or a flag and its value, as command-line words. */
export function fuzzOverride(draws: Draws): string[] {
  const roll = draws.int(5);
  if (roll === 4) {
    const [path, value] = draws.pick(RISKY);
    return [`${path}=${value}`, ...(path === 'sampler.n_samples' ? ['--micro_batch', draws.pick(['2', '1e15'])] : [])];
  }
  if (roll === 0) return [`${draws.pick(HOSTILE_KEYS)}=${yamlValue(draws)}`];
  if (roll === 1) {
    const flag = draws.pick(['--n_samples', '--seed', '--ddim_eta', '--skip_type', '--skip_steps', '--micro_batch', '--mode', '--n_interpolate', '--threads', '--provider', '--weights', '--noise', '--input_dir', '--mask', '--mask_dir', '--save_npy', '--config', '-c', '--plugin', '--load_ema']);
    return draws.random() < 0.5 ? [`${flag}=${yamlValue(draws)}`] : [flag, yamlValue(draws)];
  }
  return [`${draws.pick(CONFIG_PATHS)}=${yamlValue(draws)}`];
}
