import { adapterSuite } from './support/adapter-suite';
import { postgresFixture } from './support/adapters';

adapterSuite(postgresFixture());
