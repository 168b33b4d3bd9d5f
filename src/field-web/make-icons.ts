// Renders static/icon.svg to the PNG icons the manifest and iOS need
// (iOS ignores SVG home-screen icons and would use a screenshot instead):
// icon-192.png, icon-512.png, icon-maskable-512.png (manifest) and
// apple-touch-icon.png (180 px); the maskable and Apple ones are full-bleed
// (the platform cuts the shape itself; the letter sits in the safe zone). Run after changing the SVG and
// commit the PNGs: `node --import tsx src/field-web/make-icons.ts`.
// Rendering goes through Debian's Chromium (playwright-core), so no image
// library is needed.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const STATIC = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');

/** The SVG without its rounded corners: iOS and maskable icons are cut by the platform. */
export function fullBleed(svg: string): string {
  return svg.replace(/<rect([^>]*?) rx="\d+"/, '<rect$1');
}

export async function renderIcons(svg = readFileSync(path.join(STATIC, 'icon.svg'), 'utf8')): Promise<Map<string, Buffer>> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  const out = new Map<string, Buffer>();
  try {
    const page = await browser.newPage({ deviceScaleFactor: 1 });
    for (const [name, size, source] of [['icon-192.png', 192, svg], ['icon-512.png', 512, svg], ['icon-maskable-512.png', 512, fullBleed(svg)], ['apple-touch-icon.png', 180, fullBleed(svg)]] as const) {
      await page.setViewportSize({ width: size, height: size });
      const url = `data:image/svg+xml;base64,${Buffer.from(source).toString('base64')}`;
      await page.setContent(`<html><body style="margin:0;background:transparent"><img src="${url}" width="${size}" height="${size}" style="display:block"></body></html>`);
      await page.waitForFunction(() => (globalThis as any).document.images[0]?.complete);
      out.set(name, await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } }));
    }
  } finally {
    await browser.close();
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [name, png] of await renderIcons()) {
    writeFileSync(path.join(STATIC, name), png);
    console.log(`${name}: ${png.length} bytes`);
  }
}
