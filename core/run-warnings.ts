/**
 * What a run passes over or changes without failing, one line each, so nothing is dropped in
 * silence: files in the input folder that are not images, fewer results than n_samples asks
 * for, masks of another size (resized and cropped), a guidance scale for an unconditional model. The CLI prints them as warnings; the
 * server answers them in the result's `warnings`; run.json records them.
 */
import type { DdimConfig } from './config/schema.ts';
import { oneLine } from './errors.ts';
import type { ImageSource } from './io/image-source.ts';
import type { ModePlan, ModePlugin } from './plugin.ts';

/** The sources a run opened while planning. */
export interface OpenedSources {
  inputs?: ImageSource;
  masks?: ImageSource;
}

const SHOWN = 3;

/** `a, b, c and 4 more` */
function someOf(names: readonly string[]): string {
  const shown = names.slice(0, SHOWN).map((name) => oneLine(name));
  return names.length > SHOWN ? `${shown.join(', ')} and ${names.length - SHOWN} more` : shown.join(', ');
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function skippedFiles(config: DdimConfig, inputs: ImageSource): string | undefined {
  const skipped = inputs.skipped ?? [];
  if (skipped.length === 0) return undefined;
  const where = config.sampler.input_dir ? `input_dir ${oneLine(config.sampler.input_dir)}` : 'the input folder';
  return `${where}: passed over ${plural(skipped.length, 'file')} that ${skipped.length === 1 ? 'is' : 'are'} not .png, .jpg, .jpeg or .webp: ${someOf(skipped)}`;
}

async function resizedMasks(masks: ImageSource, size: { height: number; width: number }): Promise<string | undefined> {
  let sizes: Awaited<ReturnType<NonNullable<ImageSource['sizes']>>>;
  try {
    sizes = (await masks.sizes?.()) ?? [];
  } catch {
    return undefined; // an unreadable mask fails when it is decoded, with its own message
  }
  const seen = new Set<string>();
  const odd: string[] = [];
  sizes.forEach((s, i) => {
    const name = masks.names[i] ?? `mask ${i}`;
    if ((s.width === size.width && s.height === size.height) || seen.has(name)) return;
    seen.add(name);
    odd.push(`${name} (${s.width}×${s.height})`);
  });
  if (odd.length === 0) return undefined;
  const what = odd.length === 1 ? `mask ${odd[0]} is` : `${plural(odd.length, 'mask')} (${someOf(odd)}) are`;
  return `${what} not ${size.width}×${size.height}: resized (short side to ${Math.min(size.width, size.height)}) and center-cropped, so a mask of another shape loses its edges`;
}

/** A guidance scale for an (x, t) model does nothing: said rather than passed over in silence. */
function ignoredGuidance(config: DdimConfig, conditional: boolean): string | undefined {
  const scale = config.sampler.guidance_scale;
  if (conditional || scale === 1) return undefined;
  return `guidance_scale ${scale}: the model is not class-conditional (its inputs are x and t), so it samples unguided; leave the scale out`;
}

/** A guidance rule chosen by name that no step of the run will ask. */
function unusedGuidance(config: DdimConfig, conditional: boolean): string | undefined {
  const { guidance, guidance_scale: scale } = config.sampler;
  if (guidance === 'cfg') return undefined;
  if (!conditional) return `guidance rule "${guidance}" (sampler.guidance) is not used: the model is not class-conditional`;
  if (scale !== 0 && scale !== 1) return undefined;
  return `guidance rule "${guidance}" (sampler.guidance) is not used: guidance_scale ${scale} runs each item ${scale === 1 ? 'with' : 'without'} its class alone`;
}

/** The warnings of a planned run (empty when nothing was passed over or changed). */
export async function runWarnings(
  config: DdimConfig,
  mode: ModePlugin,
  plan: ModePlan,
  opened: OpenedSources & { readonly nSamplesAsked: boolean },
  model: { height: number; width: number; classInput?: unknown },
): Promise<string[]> {
  const warnings: string[] = [];
  const conditional = Boolean(model.classInput);
  for (const warning of [ignoredGuidance(config, conditional), unusedGuidance(config, conditional)]) if (warning) warnings.push(warning);
  const { inputs, masks } = opened;
  const skipped = inputs && skippedFiles(config, inputs);
  if (skipped) warnings.push(skipped);
  const asked = config.sampler.n_samples;
  if (opened.nSamplesAsked && inputs && plan.count < asked) {
    warnings.push(`n_samples ${asked}: mode "${mode.name}" has ${plural(inputs.count, 'input image')}, so it writes ${plural(plan.count, 'result')}`);
  }
  const resized = masks && (await resizedMasks(masks, model));
  if (resized) warnings.push(resized);
  return warnings;
}
