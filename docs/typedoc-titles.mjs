// @ts-check
import { Converter } from 'typedoc';

/**
 * Names each markdown page of the site after its first `# ` heading.
 *
 * TypeDoc names a project document after its file path ("docs/getting-started",
 * "examples/ecommerce/README"); its only other way is YAML front matter, which GitHub shows as a
 * table at the top of every guide. The heading is what both readers already see.
 *
 * @param {import('typedoc').Application} app
 */
export function load(app) {
  app.converter.on(Converter.EVENT_CREATE_DOCUMENT, (_context, doc) => {
    const first = doc.content[0];
    const heading = first?.kind === 'text' ? /^#\s+(.+)$/m.exec(first.text) : null;
    if (heading) doc.name = heading[1].trim();
  });
}
