import { readFile } from 'node:fs/promises';
import type { Options } from 'tsup';
import { packageBuildConfig } from '../../tsup.shared';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * Replaces `src/ui/page-files.ts`, which reads the page's HTML and script from disk when the
 * sources run, with a module that holds their text: the published package ships them inside.
 */
const inlinePageFiles: Plugin = {
  name: 'inline-page-files',
  setup(build) {
    // resolved into a namespace of its own: tsup's plugins load every .ts file before ours would
    build.onResolve({ filter: /[\\/]page-files$/ }, (args) => ({
      path: new URL('./', `file://${args.resolveDir}/`).pathname,
      namespace: 'page-files',
    }));
    build.onLoad({ filter: /.*/, namespace: 'page-files' }, async (args) => {
      const read = (name: string) => readFile(`${args.path}${name}`, 'utf8');
      const [template, script] = await Promise.all([read('index.html'), read('app.js')]);
      return {
        contents: `export const PAGE_TEMPLATE = ${JSON.stringify(template)};\nexport const PAGE_SCRIPT = ${JSON.stringify(script)};\n`,
        loader: 'js',
      };
    });
  },
};

export default packageBuildConfig({ esbuildPlugins: [inlinePageFiles] });
