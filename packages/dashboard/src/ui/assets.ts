import { createHash } from 'node:crypto';
import { STYLE } from './app-style';
import { PAGE_SCRIPT, PAGE_TEMPLATE } from './page-files';

/** @internal A static file of the page, with its validator. */
export interface Asset {
  body: string;
  type: string;
  etag: string;
}

const asset = (body: string, type: string): Asset => ({
  body,
  type,
  etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 16)}"`,
});

/** @internal The page's script and style, by file name. */
export const ASSETS: Record<string, Asset> = {
  'app.js': asset(PAGE_SCRIPT, 'text/javascript; charset=utf-8'),
  'app.css': asset(STYLE, 'text/css; charset=utf-8'),
};

/** @internal The `?v=` of an asset's URL: it changes with the file, so a URL so versioned never goes stale. */
export const assetVersion = (file: Asset): string => file.etag.slice(1, 9);

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/**
 * @internal The page for a mount path and title, with the data of its first screen inside (a data
 * block, which the content security policy allows), so that the list shows without two more round
 * trips; the script fills it in.
 */
export function renderPage(base: string, title: string, boot: unknown = null): string {
  const assetUrl = (name: string) => `${base}/${name}?v=${assetVersion(ASSETS[name])}`;
  return PAGE_TEMPLATE.replaceAll('{{base}}', escapeHtml(base))
    .replaceAll('{{title}}', escapeHtml(title))
    .replace('{{script}}', escapeHtml(assetUrl('app.js')))
    .replace('{{style}}', escapeHtml(assetUrl('app.css')))
    .replace('"{{boot}}"', () => JSON.stringify(boot).replace(/</g, '\\u003c'));
}
