/**
 * The playground page's script: builds the form from what the service describes, and runs
 * it on the server (an event stream) or in this browser (a worker), one run at a time.
 */
import { loadService } from './api.ts';
import { runInBrowser } from './browser-run.ts';
import { byId, messageOf } from './dom.ts';
import { RunForm } from './form.ts';
import type { RunEvents, RunRequest, RunResult } from './messages.ts';
import { RunCard, type RunPanel, type Where } from './runs.ts';
import { FieldError } from './field-error.ts';
import { runOnServer } from './server-run.ts';

const RUNNERS: Record<Where, (request: RunRequest, events: RunEvents, signal: AbortSignal) => Promise<RunResult>> = {
  server: runOnServer,
  browser: runInBrowser,
};

function describeModel(service: Awaited<ReturnType<typeof loadService>>): string {
  const { file, channels, height, width, sha256 } = service.model;
  const threads = crossOriginIsolated ? 'cross-origin isolated: browser runs use WebAssembly threads' : 'not cross-origin isolated: browser runs use one thread';
  return `${file} · ${channels}×${height}×${width} · sha256 ${sha256.slice(0, 12)}… · ${threads}`;
}

async function main(panel: RunPanel): Promise<void> {
  const service = await loadService();
  byId('model-line', HTMLElement).textContent = describeModel(service);
  const report = (text: string) => (panel.status.textContent = text);
  const form = new RunForm(service, report);
  const element = byId('controls', HTMLFormElement);
  const submits = [...element.querySelectorAll<HTMLButtonElement>('button[type=submit]')];
  const inBrowser = byId('run-browser', HTMLButtonElement);
  const browserNote = byId('run-browser-note', HTMLElement);
  const cancel = byId('cancel', HTMLButtonElement);
  const results = byId('output', HTMLElement);
  let controller: AbortController | undefined;

  /** The run buttons: none while a run goes; "in this browser" only for the built-in plugins, else it says why. */
  const updateButtons = () => {
    const blocker = form.browserBlocker;
    browserNote.textContent = blocker ?? '';
    browserNote.hidden = blocker === undefined;
    for (const button of submits) button.disabled = controller !== undefined || (button === inBrowser && blocker !== undefined);
  };

  /** While a run goes, only Cancel is live; keyboard focus follows (to Cancel, then back to the pressed button). */
  const setBusy = (busy: boolean, pressed: HTMLButtonElement | undefined) => {
    const focused = document.activeElement;
    updateButtons();
    cancel.disabled = !busy;
    results.setAttribute('aria-busy', String(busy));
    if (busy && focused === pressed) cancel.focus();
    if (!busy && (focused === cancel || focused === document.body)) pressed?.focus();
  };

  element.addEventListener('submit', (event) => {
    event.preventDefault();
    if (controller) return;
    const pressed = event.submitter instanceof HTMLButtonElement ? event.submitter : undefined;
    const where: Where = pressed?.value === 'browser' ? 'browser' : 'server';
    if (where === 'browser' && form.browserBlocker) return;
    const running = new AbortController();
    controller = running;
    setBusy(true, pressed);
    void (async () => {
      let card: RunCard | undefined;
      try {
        form.markInvalid(undefined);
        const request = await form.request();
        card = new RunCard(panel, where, request);
        const result = await RUNNERS[where](request, card, running.signal);
        card.finish(result, request);
      } catch (error) {
        const message = running.signal.aborted ? 'cancelled' : messageOf(error);
        if (card) card.fail(message);
        else report(message);
        if (error instanceof FieldError) form.markInvalid(error.field)?.focus();
      } finally {
        controller = undefined;
        setBusy(false, pressed);
      }
    })();
  });
  cancel.addEventListener('click', () => controller?.abort());
  element.addEventListener('change', updateButtons);
  updateButtons();
  document.body.dataset.ready = 'true';
  report('Ready. Choose a mode and run it on the server or in this browser.');
}

const panel: RunPanel = { status: byId('status', HTMLElement), progress: byId('progress', HTMLProgressElement), list: byId('runs', HTMLElement) };
main(panel).catch((error: unknown) => {
  panel.status.textContent = `The playground cannot start: ${messageOf(error)}`;
});
