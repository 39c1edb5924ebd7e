import type { ApiModule } from '../engine/types';
import { b2core } from './b2core';
import { fib } from './fib';
import { khe } from './khe';
import { sama } from './sama';
import { vault } from './vault';

/** Every API authdouble serves. Adding one: a spec, a folder here, a fixture file, and a line below. */
export const apiModules: ApiModule[] = [b2core as ApiModule, fib as ApiModule, vault as ApiModule, khe as ApiModule, sama as ApiModule];
