import { limitHeapGrowth } from './memory-policy';

// Imported by server.ts before anything else: loading the service's modules already runs a full
// collection, and the heap limit V8 sets after it would otherwise use the default growth.
limitHeapGrowth();
