import { adapterSuite } from './support/adapter-suite';
import { pgliteFixture } from './support/adapters';

adapterSuite(pgliteFixture());
