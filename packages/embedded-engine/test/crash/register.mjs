// `node --import ./test/crash/register.mjs test/crash/crash-app.ts` runs the crash app from source.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
