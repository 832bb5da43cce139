/**
 * `ddim eval`: Fréchet distance and score of a folder of samples against a reference,
 * from one ONNX feature/classifier model (eval/).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UserError } from '../core/errors.ts';
import { packageUrl } from '../core/io/package-url.ts';
import { type EvalProgress, evaluate, formatEvalReport } from '../eval/index.ts';
import type { ParsedArgs } from './args.ts';
import type { Command } from './command.ts';
import { progressLine, wantsProgress } from './progress.ts';
import { warn } from './warnings.ts';
import { DDIM } from './command-name.ts';

const DEFAULT_FEATURES = fileURLToPath(packageUrl('models/fashion_mnist_classifier.onnx'));
const DEFAULT_REFERENCE = fileURLToPath(packageUrl('models/fashion_mnist_test_stats.json'));

/** Eval's names for what sampling users call otherwise. */
const EVAL_FLAG_SYNONYMS: ReadonlyMap<string, string> = new Map([
  ['model', 'features'],
  ['stats', 'reference'],
  ['ref', 'reference'],
  ['dir', 'samples'],
  ['input_dir', 'samples'],
  ['save_dir', 'samples'],
]);

function evalUsage(): string {
  return [
    `Usage: ${DDIM} eval [--samples DIR] [--reference DIR|STATS.json|STATS.npz|IDX.gz] [--features MODEL.onnx] [flags]`,
    '',
    'Fréchet distance between the feature statistics of a folder of samples and a reference set (FID\'s',
    'formula), and the Inception-Score-style score exp(E[KL(p(y|x) || p(y))]) of the samples, from one ONNX',
    'feature/classifier model. Without --features, the shipped Fashion-MNIST classifier is used and the',
    'Fashion-MNIST test set statistics shipped with it are the default reference.',
    '',
    'Flags (kebab-case works too):',
    '  --samples DIR                  folder of sample images, searched recursively (default: samples)',
    '  --reference PATH               a folder of images, an idx images file (.gz), or stats (.json; .npz with mu, sigma)',
    '  --reference_labels IDX.gz      idx labels for an idx reference: reports the classifier\'s accuracy',
    '  --reference_pad N              black border added around idx images (default 2: 28x28 -> 32x32)',
    '  --save_stats FILE.json         write the reference\'s feature statistics (then --samples is optional)',
    '  --features MODEL.onnx          feature/classifier model (default: models/fashion_mnist_classifier.onnx)',
    '  --features_output NAME         output used for the distance (default: "features", or the only output)',
    '  --logits_output NAME           output read as class logits for the score (default: "logits")',
    '  --input_range LOW,HIGH         value range of a float input (default -1,1; uint8 inputs get 0..255)',
    '  --image_size N                 input side for models whose H and W are not fixed in the file',
    '  --splits N                     splits for the score\'s mean ± std (default 10)',
    '  --batch_size N                 images per model call (default: up to 250, fewer for large inputs)',
    '  --json                         print the report as JSON',
    '  --quiet                        no progress',
    '',
    'Images are resized (short side, center crop) and converted to the model\'s input channels.',
    'Class accuracy is reported for images whose intended class is known: in a class{c}/ folder (c the class',
    `index), or {i}.png beside the run.json of a conditional \`${DDIM} sample\` run (its labels).`,
  ].join('\n');
}

/** Typed access to eval's own flags, each given at most once. */
function evalFlags(args: ParsedArgs) {
  const one = (name: string): string | undefined => {
    const values = args.values.get(name);
    if (values && values.length > 1) throw new UserError(`--${name} given ${values.length} times`);
    return values?.[0];
  };
  const integer = (name: string): number | undefined => {
    const value = one(name);
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) throw new UserError(`--${name}: expected a whole number, got "${value}"`);
    return Number(value);
  };
  const inputRange = (): [number, number] | undefined => {
    const text = one('input_range');
    if (text === undefined) return undefined;
    const parts = text.split(',').map((p) => Number(p.trim()));
    if (parts.length !== 2 || !parts.every(Number.isFinite) || parts[0]! >= parts[1]!) {
      throw new UserError(`--input_range: expected LOW,HIGH with LOW < HIGH (e.g. 0,1 or -1,1), got "${text}"`);
    }
    return [parts[0]!, parts[1]!];
  };
  const json = (): boolean => {
    const value = one('json');
    if (value !== undefined && !/^(true|false)$/.test(value)) throw new UserError(`--json takes no value (or true/false), got "${value}"`);
    return value === 'true';
  };
  return { one, integer, inputRange, json };
}

async function runEval(args: ParsedArgs): Promise<void> {
  const { one, integer, inputRange, json } = evalFlags(args);
  const range = inputRange();
  const asJson = json();
  const saveStats = one('save_stats');
  let samples = one('samples');
  if (samples === undefined && saveStats === undefined) {
    samples = 'samples';
    if (!existsSync(samples)) throw new UserError(`samples folder not found: samples (run \`${DDIM} sample\` first, or give --samples DIR)`);
  }
  const counter = wantsProgress(args.quiet)
    ? progressLine(
        (p: EvalProgress) => `${p.phase}: ${p.done}/${p.total} images · ${(p.done / (p.elapsedMs / 1000)).toFixed(0)} img/s`,
        (p) => p.done === p.total,
      )
    : undefined;
  const report = await evaluate({
    samples,
    reference: one('reference'),
    referenceLabels: one('reference_labels'),
    referencePad: integer('reference_pad'),
    saveStats,
    features: one('features') ?? DEFAULT_FEATURES,
    defaultReference: DEFAULT_REFERENCE,
    featuresOutput: one('features_output'),
    logitsOutput: one('logits_output'),
    inputRange: range,
    imageSize: integer('image_size'),
    splits: integer('splits'),
    batchSize: integer('batch_size'),
    createdBy: `${DDIM} eval ${args.argv.join(' ')}`,
    onProgress: counter?.update,
    onWarning: warn,
  });
  counter?.done();
  process.stdout.write(`${asJson ? JSON.stringify(report, null, 2) : formatEvalReport(report)}\n`);
  if (!args.quiet) {
    const { images, totalMs, imagesPerSecond } = report.timings;
    process.stderr.write(`evaluated ${images} image(s) in ${(totalMs / 1000).toFixed(1)} s (${imagesPerSecond.toFixed(0)}/s)\n`);
  }
}

export const evalCommand: Command = {
  flags: {
    command: 'eval',
    runOptions: [],
    config: false,
    values: [
      'samples', 'reference', 'reference_labels', 'reference_pad', 'save_stats', 'features', 'features_output',
      'logits_output', 'input_range', 'image_size', 'splits', 'batch_size',
    ],
    switches: ['json'],
    synonyms: EVAL_FLAG_SYNONYMS,
  },
  usage: evalUsage,
  run: runEval,
};
