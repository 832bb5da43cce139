/**
 * NumPy .npz archives (np.savez / np.savez_compressed): a zip of .npy files, one per
 * array. fflate does the unzipping (stored and deflated members alike).
 */
import { unzipSync } from 'fflate';
import { firstLine, UserError } from '../errors.ts';
import { type Float64NpyArray, parseNpyFloat64 } from './npy.ts';

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04]; // PK\3\4

/** Whether a file's first bytes are a zip archive's, as every .npz file's are. */
export function isZip(bytes: Uint8Array): boolean {
  return ZIP_MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * The named arrays of an .npz archive, as float64, keyed without the `.npy` suffix
 * (as numpy.load names them). Only the wanted members are inflated.
 */
export function readNpz(bytes: Uint8Array, name: string, wanted: readonly string[]): Map<string, Float64NpyArray> {
  if (!isZip(bytes)) throw new UserError(`${name}: not an .npz file (no zip header)`);
  let members: Record<string, Uint8Array>;
  const present: string[] = [];
  try {
    members = unzipSync(bytes, {
      filter: (file) => {
        const key = file.name.replace(/\.npy$/, '');
        present.push(key);
        return wanted.includes(key);
      },
    });
  } catch (error) {
    throw new UserError(`${name}: unreadable .npz archive: ${firstLine(error)}`);
  }
  const arrays = new Map<string, Float64NpyArray>();
  for (const key of wanted) {
    const member = members[`${key}.npy`] ?? members[key];
    if (!member) throw new UserError(`${name}: no array "${key}" (it holds ${present.length ? present.join(', ') : 'nothing'}); expected ${wanted.join(' and ')}`);
    arrays.set(key, parseNpyFloat64(member, `${name}: ${key}`));
  }
  return arrays;
}
