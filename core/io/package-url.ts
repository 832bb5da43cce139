/**
 * Files the package ships beside its code (models/, web/), found from either layout it runs
 * in: the TypeScript sources at the package root (Bun, the repository), or the JavaScript that
 * `bun run build` compiles into dist/ (Node, Deno, the package's `ddim` bin). The sources sit
 * one folder nearer the root than their compiled twins, so the root is found from this
 * module's own extension rather than from a path that could hold any folder name.
 */
const PACKAGE_ROOT = new URL(import.meta.url.endsWith('.ts') ? '../../' : '../../../', import.meta.url);

/**
 * The URL of a file the package ships, by its path in the package.
 *
 * @example
 * fileURLToPath(packageUrl('models/ddpm_fashion_mnist.yaml')); // '/…/node_modules/ddim-toolkit/models/ddpm_fashion_mnist.yaml'
 */
export const packageUrl = (path: string): URL => new URL(path, PACKAGE_ROOT);
