import { adapterSuite } from './support/adapter-suite';
import { memoryFixture } from './support/adapters';

adapterSuite(memoryFixture());
