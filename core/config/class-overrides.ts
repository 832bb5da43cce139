/**
 * The three ways to choose a run's classes (`sampler.class`, `sampler.classes`,
 * `sampler.n_samples_each_class`) exclude each other. A file may set one as its default
 * (models/ddpm_fashion_mnist_cond.yaml: 8 of every class); a flag or request field choosing
 * another way replaces that choice rather than colliding with it, as the command line wins
 * over the file everywhere else. Two chosen by flags still collide (core/classes.ts).
 */
import type { Override } from './overrides.ts';

const CLASS_CHOICES = ['sampler.class', 'sampler.classes', 'sampler.n_samples_each_class'] as const;

const choosesClasses = (override: Override) => (CLASS_CHOICES as readonly string[]).includes(override.path) && override.value !== null && override.value !== undefined;

/** Overrides with the file's other class choices cleared when one of them chooses classes. */
export function adoptClassOverrides(overrides: readonly Override[]): readonly Override[] {
  const chosen = overrides.find(choosesClasses);
  if (!chosen) return overrides;
  const named = new Set(overrides.map((override) => override.path));
  const cleared = CLASS_CHOICES.filter((path) => !named.has(path)).map((path): Override => ({ path, value: null, origin: chosen.origin }));
  return [...cleared, ...overrides];
}
