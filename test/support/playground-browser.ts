/**
 * What the playground's browser tests share: Debian's chromium started as this machine allows
 * (never a browser download), the CLI's PNGs read back, and the verdict on a page's results —
 * the server's equal to the CLI's byte for byte, the browser's within the backends' limit and
 * equal to the CLI's `--backend web` run (the same WebAssembly build).
 */
import { expect } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { type PixelDiff, expectWithinBackendLimit, pixelDiff } from './pixel-diff.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

/** Headless chromium with the flags this machine's closed network and root user need. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** `0.png … (count − 1).png` of a CLI run's save_dir. */
export function readPngs(dir: string, count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => readFileSync(join(dir, `${i}.png`)));
}

/** The page's results against the CLI's: server bytes equal, browser within the limit and equal to the web CLI's. */
export function expectPageMatchesCli(page: { server: Uint8Array[]; browser: Uint8Array[] }, cli: { native: Buffer[]; web: Buffer[] }, label: string): void {
  expect(page.server.length).toBe(cli.native.length);
  page.server.forEach((png, i) => expect({ i, same: cli.native[i]!.equals(png) }).toEqual({ i, same: true }));
  expect(page.browser.length).toBe(cli.native.length);
  const tally: PixelDiff = { pixels: 0, differing: 0, largest: 0 };
  page.browser.forEach((png, i) => pixelDiff(png, cli.native[i]!, tally));
  expectWithinBackendLimit(tally, label);
  page.browser.forEach((png, i) => expect({ i, differing: pixelDiff(png, cli.web[i]!).differing }).toEqual({ i, differing: 0 }));
}
