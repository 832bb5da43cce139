/** The RunHost of runtimes without a file system or native addons (edge workers, browsers). */
import { UserError } from '../errors.ts';
import type { RunHost } from '../run-host.ts';
import { decodePngImage, pngSize } from './png-image.ts';

const noFiles = (key: string, what: string): never => {
  throw new UserError(`${key}: this runtime reads no files; give the ${what} with the request (uploads or bytes), not as a path`, { path: key });
};

/** No files (a config path is a one-line error saying to send the data instead); PNG inputs at the model's size. */
export const portableHost: RunHost = {
  totalMemory: () => undefined,
  fileSize: () => noFiles('sampler.noise', 'noise'),
  readFile: () => noFiles('sampler.noise', 'noise'),
  samePath: (a, b) => a === b,
  imageFolder: () => noFiles('sampler.input_dir', 'input images'),
  maskFolder: () => noFiles('sampler.mask_dir', 'masks'),
  maskFile: () => noFiles('sampler.mask', 'mask'),
  imageSize: async (bytes, name) => pngSize(bytes, name),
  decodeImage: decodePngImage,
};
