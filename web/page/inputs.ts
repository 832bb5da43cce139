/**
 * The input images and masks a mode takes: a file input in a drop zone. Whatever the user
 * gives (PNG, JPEG, WebP, any size) is turned here into a PNG at the model's size (short side
 * scaled, center crop, as the CLI's --input_dir), so that the server and the browser decode
 * the very same bytes. A PNG already at that size is passed on untouched.
 */
import { el, messageOf } from './dom.ts';

export interface InputImage {
  readonly name: string;
  readonly png: Uint8Array;
  readonly url: string;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function pngOfSize(bytes: Uint8Array, size: number): boolean {
  if (bytes.length < 24 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint32(16) === size && view.getUint32(20) === size;
}

/** The file as a size×size PNG. */
export async function toModelPng(file: Blob, size: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (pngOfSize(bytes, size)) return bytes;
  // No color management and no premultiplication: the pixels as the file stores them.
  const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const scale = size / Math.min(bitmap.width, bitmap.height);
  const width = bitmap.width * scale;
  const height = bitmap.height * scale;
  const canvas = new OffscreenCanvas(size, size);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('this browser gives no 2D canvas to resize images with');
  context.imageSmoothingQuality = 'high';
  context.drawImage(bitmap, (size - width) / 2, (size - height) / 2, width, height);
  bitmap.close();
  return new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
}

/** One drop zone: the files chosen or dropped, as model-size PNGs with thumbnails. */
export class InputZone {
  readonly #zone: HTMLElement;
  readonly #input: HTMLInputElement;
  readonly #list: HTMLElement;
  readonly #size: () => number;
  readonly #report: (text: string) => void;
  #images: InputImage[] = [];
  #pending: Promise<void> = Promise.resolve();

  constructor(zone: HTMLElement, size: () => number, report: (text: string) => void) {
    const input = zone.querySelector('input[type=file]');
    const list = zone.querySelector('.thumbs');
    const clear = zone.querySelector('button.clear');
    if (!(input instanceof HTMLInputElement) || !(list instanceof HTMLElement) || !(clear instanceof HTMLButtonElement)) {
      throw new Error(`index.html: drop zone #${zone.id} lacks its file input, .thumbs or button.clear`);
    }
    this.#zone = zone;
    this.#input = input;
    this.#list = list;
    this.#size = size;
    this.#report = report;
    input.addEventListener('change', () => this.#add([...(input.files ?? [])]));
    clear.addEventListener('click', () => this.clear());
    zone.addEventListener('dragover', (event) => {
      event.preventDefault();
      zone.classList.add('dragging');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
    zone.addEventListener('drop', (event) => {
      event.preventDefault();
      zone.classList.remove('dragging');
      this.#add([...(event.dataTransfer?.files ?? [])].filter((file) => file.type.startsWith('image/')));
    });
  }

  setHidden(hidden: boolean): void {
    this.#zone.hidden = hidden;
  }

  /** The PNGs, once every file given so far is converted. */
  async pngs(): Promise<Uint8Array[]> {
    await this.#pending;
    return this.#images.map((image) => image.png);
  }

  clear(): void {
    for (const image of this.#images) URL.revokeObjectURL(image.url);
    this.#images = [];
    this.#input.value = '';
    this.#render();
  }

  #add(files: readonly File[]): void {
    this.#pending = this.#pending.then(async () => {
      for (const file of files) {
        try {
          const png = await toModelPng(file, this.#size());
          this.#images.push({ name: file.name, png, url: URL.createObjectURL(new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' })) });
        } catch (error) {
          this.#report(`${file.name}: cannot read this image (${messageOf(error)})`);
        }
      }
      this.#input.value = '';
      this.#render();
      this.#report(`${this.#images.length} ${this.#input.id === 'masks' ? 'mask(s)' : 'image(s)'} ready`);
    });
  }

  #render(): void {
    this.#list.replaceChildren(
      ...this.#images.map((image, i) => el('li', {}, el('img', { src: image.url, alt: `${this.#input.id} ${i}: ${image.name}`, title: image.name }))),
    );
  }
}
