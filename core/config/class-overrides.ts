/**
 * The three ways to choose a run's classes (`sampler.class`, `sampler.classes`,
 * `sampler.n_samples_each_class`) exclude each other. A file may set one as its default
 * (models/ddpm_fashion_mnist_cond.yaml: 8 of every class); a flag or request field choosing
 * another way replaces that choice rather than colliding with it, as the command line wins
 * over the file everywhere else; a file choosing one replaces the choice of the file it
 * extends the same way. Two chosen in one place still collide (core/classes.ts).
 */
import { type Override, isPlainObject } from './overrides.ts';

const CLASS_KEYS = ['class', 'classes', 'n_samples_each_class'] as const;
const CLASS_CHOICES = CLASS_KEYS.map((key) => `sampler.${key}`);

/** A value that makes a choice: null (or a key left out) leaves it to the layer below. */
const chooses = (value: unknown) => value !== null && value !== undefined;
const choosesClasses = (override: Override) => CLASS_CHOICES.includes(override.path) && chooses(override.value);

/** Overrides with the file's other class choices cleared when one of them chooses classes. */
export function adoptClassOverrides(overrides: readonly Override[]): readonly Override[] {
  const chosen = overrides.find(choosesClasses);
  if (!chosen) return overrides;
  const named = new Set(overrides.map((override) => override.path));
  const cleared = CLASS_CHOICES.filter((path) => !named.has(path)).map((path): Override => ({ path, value: null, origin: chosen.origin }));
  return [...cleared, ...overrides];
}

/** The extended file's data less its class choices when the extending file (`own`) makes one. */
export function withoutInheritedClassChoice(base: Record<string, unknown>, own: Record<string, unknown>): Record<string, unknown> {
  const { sampler: ownSampler } = own;
  const { sampler: baseSampler } = base;
  if (!isPlainObject(ownSampler) || !isPlainObject(baseSampler)) return base;
  if (!CLASS_KEYS.some((key) => chooses(ownSampler[key]))) return base;
  const sampler = { ...baseSampler };
  for (const key of CLASS_KEYS) if (!(key in ownSampler)) delete sampler[key];
  return { ...base, sampler };
}
