/**
 * Limits on structured input (request bodies, plugin options, config files and overrides),
 * checked before any recursive code walks it: how deep it nests, how many keys its objects
 * hold in all, and no key that names a JavaScript object's prototype. The walk keeps its own
 * stack and stops at the first problem, so input nested 100,000 deep or holding a million keys
 * costs what its first few levels cost, and is refused in one line instead of overflowing the stack.
 */

/** Levels of objects and lists a value may nest (a config needs about 6; plugin options a few). */
export const MAX_NESTING = 32;
/** Keys, objects and lists a value may hold in all, at any depth (numbers and strings in lists are not counted). */
export const MAX_KEYS = 1000;
/** Keys that would reach into JavaScript's object prototypes instead of the data. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export interface StructureLimits {
  readonly maxNesting?: number;
  readonly maxKeys?: number;
}

/** What is wrong and where: `path` from the checked value's root (object keys, list indices). */
export interface StructureProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

const reservedKeyMessage = (key: string) => `"${key}" cannot be a key (it names a JavaScript object's prototype)`;

/**
 * The first problem with `value`'s structure, or undefined. Depth and key-count problems are
 * located at the top-level key they were found under (the full path may itself be huge).
 *
 * @example
 * findStructureProblem(JSON.parse('{"options": {"uniform": {"__proto__": {}}}}'))
 * // { path: ['options', 'uniform', '__proto__'], message: '"__proto__" cannot be a key (…)' }
 */
export function findStructureProblem(value: unknown, limits: StructureLimits = {}): StructureProblem | undefined {
  const { maxNesting = MAX_NESTING, maxKeys = MAX_KEYS } = limits;
  // Only objects and lists are stacked (a list of a million numbers stacks nothing), each counted.
  const stack: { value: object; path: (string | number)[] }[] = [];
  let count = 0;
  const tooMany = (path: readonly (string | number)[]) => ({ path: path.slice(0, 1), message: `more than ${maxKeys} keys, objects and lists in all; at most ${maxKeys} are accepted` });
  const visit = (child: unknown, path: (string | number)[]): StructureProblem | undefined => {
    if (typeof child !== 'object' || child === null) return undefined;
    if (++count > maxKeys) return tooMany(path);
    if (path.length >= maxNesting) return { path: path.slice(0, 1), message: `nested more than ${maxNesting} levels deep; at most ${maxNesting} are accepted` };
    stack.push({ value: child, path });
    return undefined;
  };
  let problem = visit(value, []);
  while (!problem && stack.length > 0) {
    const { value: node, path } = stack.pop()!;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length && !problem; i++) problem = visit(node[i], [...path, i]);
      continue;
    }
    const keys = Object.keys(node);
    const reserved = keys.find((key) => RESERVED_KEYS.has(key));
    if (reserved !== undefined) return { path: [...path, reserved], message: reservedKeyMessage(reserved) };
    count += keys.length;
    if (count > maxKeys) return tooMany(path);
    for (let i = 0; i < keys.length && !problem; i++) problem = visit((node as Record<string, unknown>)[keys[i]!], [...path, keys[i]!]);
  }
  return problem;
}
