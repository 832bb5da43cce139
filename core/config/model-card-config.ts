/**
 * A model card and a config together: without a config file the card is the config (T,
 * β schedule, objective, geometry, classes); with one, the config's values win, the card
 * fills in what it leaves out (classes, their names, the null class), and a config that
 * contradicts what the network was made for (another size, another T, other classes) is a
 * one-line error before the model is loaded.
 */
import { UserError, oneLine } from '../errors.ts';
import { betaSchedule } from '../math/betas.ts';
import type { ModelCard } from '../model/model-card.ts';
import type { Override } from './overrides.ts';
import type { DdimConfig } from './schema.ts';

/** The config keys a card sets, as overrides under the command line's own (which come after them). */
export function cardOverrides(card: ModelCard, path: string): Override[] {
  const origin = `the model card of ${oneLine(path)}`;
  const { diffusion, data } = card;
  const values: [string, unknown][] = [
    ['data.img_size', data.img_size],
    ['data.img_channels', data.img_channels],
    ['diffusion.params.total_steps', diffusion.total_steps],
    ['diffusion.params.beta_schedule', diffusion.beta_schedule],
    ['diffusion.params.beta_start', diffusion.beta_start],
    ['diffusion.params.beta_end', diffusion.beta_end],
    ['diffusion.params.objective', diffusion.objective],
    ['data.num_classes', data.num_classes],
    ['data.class_names', data.class_names],
    ['diffusion.params.betas', customBetas(card)],
  ];
  return values.filter(([, value]) => value !== undefined).map(([key, value]) => ({ path: key, value, origin }));
}

/** Relative difference within which the card's β values are its named schedule's (Python and this toolkit agree to ~1e-15). */
const SAME_BETAS = 1e-9;

/**
 * The card's β values where its named schedule does not give them (a network trained with a
 * config's `betas` list: its card names the default schedule beside them), else undefined, so
 * that a card of a named schedule keeps computing its chain as before.
 */
function customBetas(card: ModelCard): number[] | undefined {
  const { betas, total_steps, beta_schedule, beta_start, beta_end } = card.diffusion;
  if (betas === undefined) return undefined;
  const named = betaSchedule({ totalSteps: total_steps, betaSchedule: beta_schedule, betaStart: beta_start, betaEnd: beta_end });
  const same = betas.length === named.length && betas.every((beta, t) => Math.abs(beta - named[t]!) <= SAME_BETAS * Math.abs(named[t]!));
  return same ? undefined : betas;
}

function contradiction(path: string, madeFor: string, config: string, key: string): UserError {
  return new UserError(`model ${oneLine(path)} was made for ${madeFor} (its model card), but the config says ${config}; leave the key out or give the matching model`, {
    path: key,
  });
}

/** The config with the card's classes filled in where it is silent; contradictions are one-line errors. */
export function withModelCard(config: DdimConfig, card: ModelCard, path: string): DdimConfig {
  const { data } = config;
  const params = config.diffusion.params;
  if (data.img_size !== card.data.img_size || data.img_channels !== card.data.img_channels) {
    throw contradiction(
      path,
      `images of ${card.data.img_channels}×${card.data.img_size}×${card.data.img_size}`,
      `data.img_channels=${data.img_channels}, data.img_size=${data.img_size}`,
      data.img_size !== card.data.img_size ? 'data.img_size' : 'data.img_channels',
    );
  }
  if (params.total_steps !== card.diffusion.total_steps) {
    throw contradiction(path, `a chain of T=${card.diffusion.total_steps} steps`, `diffusion.params.total_steps=${params.total_steps}`, 'diffusion.params.total_steps');
  }
  const classes = card.data.num_classes;
  if (classes !== undefined && data.num_classes !== undefined && data.num_classes !== classes) {
    throw contradiction(path, `${classes} classes`, `data.num_classes=${data.num_classes}`, 'data.num_classes');
  }
  return {
    ...config,
    data: {
      ...data,
      num_classes: data.num_classes ?? classes,
      class_names: data.class_names ?? (data.num_classes === undefined || data.num_classes === classes ? card.data.class_names : undefined),
    },
    model: { ...config.model, null_class: config.model.null_class ?? card.null_class },
  };
}
