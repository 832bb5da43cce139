/**
 * `ddim --help`: the commands, and the sampling flags in full, since sampling is what
 * most users come for. Reads only the RUN_OPTIONS table, so printing it stays cheap.
 */
import { RUN_OPTIONS } from '../core/config/run-options.ts';
import { DDIM } from './command-name.ts';

/** A help row: the flag in a fixed-width field, then what it does. */
export function helpRow(flag: string, help: string, width = 30): string {
  return `  ${flag.padEnd(width)} ${help}`;
}

export function generalUsage(): string {
  const rows = RUN_OPTIONS.map((o) => helpRow(`--${o.name}${o.kind === 'flag' ? '' : ` ${o.metavar}`}`, o.help));
  return [
    `Usage: ${DDIM} sample [-c CONFIG] [flags] [key.path=value ...]`,
    `       ${DDIM} serve [-c CONFIG] [--weights MODEL.onnx] [--port 8787] [--host 127.0.0.1] [key.path=value ...]`,
    `       ${DDIM} eval [--samples DIR] [--reference DIR|STATS.json|STATS.npz|IDX.gz] [--features MODEL.onnx] [flags]`,
    `       ${DDIM} plugins [-c CONFIG] [--plugin MODULE ...]   (modes and schedules, as JSON)`,
    `       ${DDIM} plugins new NAME [DIR]                    (a plugin package to start from)`,
    `       ${DDIM} verify DIR                                (a run's folder complete? shards agree? SHA256SUMS)`,
    `       ${DDIM} help serve|eval|plugins|verify            (the flags of that command)`,
    '',
    'DDIM sampling (Song et al., 2021) from an ONNX diffusion model. Without -c, the shipped',
    'Fashion-MNIST model and its config are used.',
    '',
    'Sampling flags (the reference sample_ddim.py names; kebab-case works too):',
    helpRow('-c, --config CONFIG', "YAML config (the original code base's files load as they are)"),
    ...rows,
    helpRow('--load_ema', 'accepted for compatibility: an ONNX file holds one set of weights'),
    helpRow('--quiet', 'no progress bar'),
    helpRow('-h, --help', 'this text'),
    '',
    'Any config key can be set as key.path=value after the flags, e.g. diffusion.params.skip_steps=50.',
    'Precedence: flags > key.path=value > config file > defaults.',
  ].join('\n');
}
