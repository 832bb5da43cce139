/**
 * One run on the page: a card with its live previews while it samples, then the grid of
 * results, each with its own download link, and a button that downloads them all (a zip).
 * Progress goes to the page's progress bar and to its status line (aria-live), which is told
 * of stages and previews, not of every step, so that a screen reader is not flooded.
 * The page keeps the newest MAX_CARDS cards; the images' blob URLs are revoked when their
 * previews are replaced or their card is dropped.
 */
import { zipSync } from 'fflate';
import { el } from './dom.ts';
import type { PreviewImage, RunEvents, RunProgress, RunRequest, RunResult } from './messages.ts';

export type Where = 'server' | 'browser';

/** Cards kept on the page: an older one is removed, and its images' memory freed. */
const MAX_CARDS = 12;
/** The cards on the page, newest last. */
const shown: RunCard[] = [];

const revokeAll = (urls: readonly string[]) => {
  for (const url of urls) URL.revokeObjectURL(url);
};

const WHERE: Record<Where, string> = { server: 'on the server', browser: 'in this browser' };

export interface RunPanel {
  readonly status: HTMLElement;
  readonly progress: HTMLProgressElement;
  readonly list: HTMLElement;
}

const pngUrl = (png: Uint8Array) => URL.createObjectURL(new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' }));

/** A preview as an element; a PNG's blob URL goes to `urls`, to revoke when the preview is replaced. */
function previewElement(image: PreviewImage, index: number, urls: string[]): HTMLElement {
  if ('png' in image) {
    const url = pngUrl(image.png);
    urls.push(url);
    return el('img', { src: url, alt: `preview ${index}` });
  }
  const canvas = el('canvas', { width: image.pixels.width, height: image.pixels.height, role: 'img', 'aria-label': `preview ${index}` });
  canvas.getContext('2d')?.putImageData(image.pixels, 0, 0);
  return canvas;
}

function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = el('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** A card for one run, first in the list; it is the run's RunEvents. */
export class RunCard implements RunEvents {
  readonly element: HTMLElement;
  readonly #panel: RunPanel;
  readonly #where: Where;
  readonly #label: string;
  readonly #heading: HTMLElement;
  readonly #previews: HTMLElement;
  readonly #grid: HTMLElement;
  /** Blob URLs of the results shown. */
  #urls: string[] = [];
  /** Blob URLs of the previews shown now (the server's PNGs; the browser's are canvases). */
  #previewUrls: string[] = [];

  constructor(panel: RunPanel, where: Where, request: RunRequest) {
    this.#panel = panel;
    this.#where = where;
    const seed = request.fields.seed === undefined ? '' : ` · seed ${request.fields.seed}`;
    this.#label = `${request.mode} ${WHERE[where]}${seed}`;
    this.#heading = el('h3', {}, this.#label);
    this.#previews = el('div', { class: 'previews', 'aria-label': 'live previews of the predicted x0' });
    this.#grid = el('ol', { class: 'grid', 'aria-label': 'results' });
    this.element = el('article', { class: 'run', 'data-where': where, 'data-state': 'running', 'data-mode': request.mode }, this.#heading, this.#previews, this.#grid);
    panel.list.prepend(this.element);
    shown.push(this);
    while (shown.length > MAX_CARDS) shown.shift()?.remove();
    panel.progress.removeAttribute('value');
    this.note(`running ${this.#label}…`);
  }

  note(text: string): void {
    this.#panel.status.textContent = text;
  }

  accepted(count: number, steps: number): void {
    this.note(`${this.#label}: ${count} item(s), ${steps} steps…`);
  }

  progress(p: RunProgress): void {
    this.#panel.progress.max = p.items * p.steps || 1;
    this.#panel.progress.value = p.itemsDone * p.steps + p.step;
  }

  preview(step: number, steps: number, images: readonly PreviewImage[]): void {
    const urls: string[] = [];
    const elements = images.map((image, i) => previewElement(image, i, urls));
    this.#clearPreviews();
    this.#previewUrls = urls;
    this.#previews.replaceChildren(el('p', { class: 'help' }, `x0 after step ${step} of ${steps}`), ...elements);
    this.note(`${this.#label}: step ${step} of ${steps}`);
  }

  /** Show the results, with a download link for each and one for all. */
  finish(result: RunResult, request: RunRequest): void {
    const stem = `ddim-${request.mode}-seed${result.seed}`;
    const seconds = (result.ms / 1000).toFixed(1);
    this.#heading.textContent = `${this.#label} · ${result.steps} steps · ${seconds} s`;
    this.#clearPreviews();
    revokeAll(this.#urls);
    this.#urls = [];
    const items = result.pngs.map((png, i) => {
      const url = pngUrl(png);
      this.#urls.push(url);
      const name = `${stem}-${i}.png`;
      return el(
        'li',
        {},
        el(
          'figure',
          {},
          el('img', { src: url, alt: `result ${i} (${request.mode}, seed ${result.seed}, ${this.#where})`, 'data-index': i }),
          el('figcaption', {}, el('a', { href: url, download: name, class: 'download' }, `Download #${i}`)),
        ),
      );
    });
    this.#grid.replaceChildren(...items);
    const all = el('button', { type: 'button', class: 'download-all' }, `Download all ${result.pngs.length} (zip)`);
    all.addEventListener('click', () => {
      const files = Object.fromEntries(result.pngs.map((png, i) => [`${stem}-${i}.png`, png]));
      saveBlob(new Blob([zipSync(files, { level: 0 }) as Uint8Array<ArrayBuffer>], { type: 'application/zip' }), `${stem}.zip`);
    });
    this.element.append(el('p', { class: 'actions' }, all));
    this.element.dataset.state = 'done';
    this.#panel.progress.max = 1;
    this.#panel.progress.value = 1;
    this.note(`${this.#label}: done, ${result.pngs.length} result(s) in ${seconds} s`);
  }

  fail(message: string): void {
    this.element.dataset.state = 'failed';
    this.#clearPreviews();
    this.element.append(el('p', { class: 'error', role: 'alert' }, message));
    this.#panel.progress.max = 1;
    this.#panel.progress.value = 0;
    this.note(`${this.#label}: failed: ${message}`);
  }

  /** Take the card off the page and free its images. */
  remove(): void {
    this.#clearPreviews();
    revokeAll(this.#urls);
    this.#urls = [];
    this.element.remove();
  }

  #clearPreviews(): void {
    this.#previews.replaceChildren();
    revokeAll(this.#previewUrls);
    this.#previewUrls = [];
  }
}
