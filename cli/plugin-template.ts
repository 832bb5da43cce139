/**
 * Every file of the plugin package `ddim plugins new` writes: package.json, tsconfig.json and
 * README.md here, the sources and tests beside this file.
 */
import { type PluginNames, pluginSources } from './plugin-template-sources.ts';
import { pluginTests } from './plugin-template-tests.ts';

/**
 * Versions the package asks for: the toolkit release it is written against, and the valibot,
 * TypeScript and Bun types the toolkit itself uses (a test keeps them equal to its package.json).
 */
export const TEMPLATE_VERSIONS = { toolkit: '^0.1.0', valibot: '^1.5.0', typescript: '^7.0.2', bunTypes: '^1.4.5' } as const;

function packageJson(names: PluginNames): string {
  const json = {
    name: names.packageName,
    version: '0.1.0',
    description: `ddim-toolkit plugins: the ${names.mode} mode and the ${names.schedule} schedule`,
    type: 'module',
    // Bun (and the toolkit's loader) run the TypeScript entry as it is.
    exports: { '.': './index.ts' },
    files: ['*.ts', '!*.test.ts', '!test-support.ts', 'README.md'],
    scripts: { test: 'tsc --noEmit && bun test', typecheck: 'tsc --noEmit' },
    keywords: ['ddim-toolkit-plugin'],
    // The host's toolkit loads the plugins: a peer. `bun add --dev ddim-toolkit` (or its tarball) adds
    // it as a dev dependency for the tests; written here before it is installed, a range not on a
    // registry would fail that very install.
    peerDependencies: { 'ddim-toolkit': TEMPLATE_VERSIONS.toolkit },
    dependencies: { valibot: TEMPLATE_VERSIONS.valibot },
    devDependencies: { 'bun-types': TEMPLATE_VERSIONS.bunTypes, typescript: TEMPLATE_VERSIONS.typescript },
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** Type checking only (Bun runs the .ts files): `.ts` imports allowed, packages resolved through their `exports`. */
const TSCONFIG = `${JSON.stringify(
  {
    compilerOptions: {
      target: 'ES2022',
      module: 'ESNext',
      moduleResolution: 'bundler',
      lib: ['ES2023'],
      types: ['bun-types'],
      strict: true,
      noUncheckedIndexedAccess: true,
      allowImportingTsExtensions: true,
      verbatimModuleSyntax: true,
      noEmit: true,
      skipLibCheck: true,
      resolveJsonModule: true,
      isolatedModules: true,
    },
    include: ['*.ts'],
  },
  null,
  2,
)}\n`;

function readme({ packageName, mode, schedule }: PluginNames): string {
  const fence = '```';
  return `# ${packageName}

Plugins for [ddim-toolkit](https://www.npmjs.com/package/ddim-toolkit), written against its public API only:

- **\`${mode}\`** (mode): the images the built-in \`sample\` mode draws, with their contrast scaled by
  \`gain\` (\`sampler.options.${mode}.gain\`, in [0, 4], default 1: exactly \`sample\`'s images).
- **\`${schedule}\`** (schedule): \`skip_steps\` timesteps spaced evenly in σ^(1/ρ) (Karras et al., 2022),
  σ read from the model's own ᾱ (\`sampler.options.${schedule}.rho\`, default 7).

Replace both with your own; PLUGINS.md in the toolkit describes the contract.

## Test it

${fence}sh
bun add --dev /path/to/ddim-toolkit-0.1.0.tgz   # the toolkit, packed (bun pm pack); or: bun add --dev ddim-toolkit
bun test                                        # runs the mode and schedule on the toolkit's shipped model
bunx tsc --noEmit                               # the types
${fence}

## Use it

In a project with the toolkit, add this package (\`bun add /path/to/${packageName}\`, or its packed tarball) and
name it in a config or with \`--plugin\` (\`--bun\`: the toolkit's bin then runs under Bun, which loads this TypeScript package; Node cannot):

${fence}sh
bunx --bun ddim sample --plugin ${packageName} --mode ${mode} --skip_type ${schedule} --skip_steps 20 \\
  sampler.options.${mode}.gain=1.5 --save_dir out
bunx --bun ddim plugins --plugin ${packageName}       # both plugins, with their options as JSON Schema
${fence}

Over HTTP (\`bunx --bun ddim serve --plugin ${packageName}\`) the mode answers at \`POST /v1/modes/${mode}\`,
its options under \`options: { "${mode}": { "gain": 1.5 } }\`.

## Files

| File | What it is |
| --- | --- |
| \`package.json\` | \`ddim-toolkit\` as a peer dependency (the host's copy loads the plugins), and as a dev dependency (for the tests) once \`bun add --dev\` added it; \`exports\` points at the TypeScript entry |
| \`tsconfig.json\` | type checking only: \`moduleResolution: bundler\` reads the toolkit's \`exports\`, \`allowImportingTsExtensions\` allows \`./mode.ts\` |
| \`index.ts\` | what the toolkit loads: \`export const plugins = [mode, schedule]\` |
| \`mode.ts\`, \`schedule.ts\` | the plugins; their option types come from their valibot schemas |
| \`*.test.ts\`, \`test-support.ts\` | the tests, through the toolkit's public API (left out of the published package) |
`;
}

/** The files of a new plugin package, by name. */
export function pluginPackageFiles(names: PluginNames): Record<string, string> {
  return { 'package.json': packageJson(names), 'tsconfig.json': TSCONFIG, 'README.md': readme(names), ...pluginSources(names), ...pluginTests(names) };
}
