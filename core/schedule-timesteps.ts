/**
 * Asking a schedule plugin for its timesteps: the context it is given (the model's chain,
 * T, β and ᾱ, and its own validated options) and the checks on its answer.
 */
import type { DdimConfig } from './config/schema.ts';
import { UserError } from './errors.ts';
import type { BetaParams, DiffusionChain } from './math/betas.ts';
import type { ScheduleContext, SchedulePlugin } from './plugin.ts';

/** The beta schedule a config describes. */
export function betaParams(config: DdimConfig): BetaParams {
  const p = config.diffusion.params;
  return { totalSteps: p.total_steps, betaSchedule: p.beta_schedule, betaStart: p.beta_start, betaEnd: p.beta_end, betas: p.betas };
}

/**
 * What a schedule is asked with. It gets copies of β and ᾱ, so that a schedule which writes
 * into them cannot change what the engine steps with.
 */
export function scheduleContext<O>(config: DdimConfig, chain: DiffusionChain, options: O): ScheduleContext<O> {
  const params = config.diffusion.params;
  return { totalSteps: params.total_steps, steps: params.skip_steps ?? undefined, options, betas: chain.betas.slice(), alphasCumprod: chain.alphasCumprod.slice() };
}

/** The schedule's answer, checked: ascending integers in [0, T), at most T of them. */
export function askSchedule<O>(schedule: SchedulePlugin<O>, context: ScheduleContext<O>): number[] {
  const total = context.totalSteps;
  const returned = schedule.timesteps(context);
  // Checked before copying: a schedule that returns more than T entries repeats timesteps.
  if (!Array.isArray(returned) || returned.length > total) {
    const got = Array.isArray(returned) ? `${returned.length} entries` : describeValue(returned);
    throw new UserError(`schedule "${schedule.name}" returned ${got}: expected a list of at most total_steps (${total}) ascending timesteps`, {
      path: 'diffusion.params.skip_type',
    });
  }
  const sequence: number[] = [...returned];
  const bad = sequence.findIndex((t, i) => !Number.isInteger(t) || t < 0 || t >= total || (i > 0 && t < sequence[i - 1]!));
  if (sequence.length === 0 || bad !== -1) {
    throw new UserError(
      `schedule "${schedule.name}" returned an invalid sequence` + (bad === -1 ? ' (empty)' : ` at entry ${bad} (${sequence[bad]})`) + `: expected ascending integers in [0, ${total})`,
      { path: 'diffusion.params.skip_type' },
    );
  }
  return sequence;
}

function describeValue(value: unknown): string {
  return value === null ? 'null' : typeof value === 'object' ? 'an object' : typeof value;
}
