import type { ApiModule } from '../../engine/types';
import { createBehaviours } from './behaviours';
import { formatError } from './errors';
import { kheLinkedRecords } from './directory';
import { checkFixture, fixtureSchema, type KheFixture } from './fixture';

/** KentHackEnough API: sign up and sign in for a key and token, sent back as HTTP Basic. */
export const khe: ApiModule<KheFixture> = {
  id: 'khe',
  title: 'KentHackEnough API',
  fixtureSchema,
  checkFixture,
  linkedRecords: kheLinkedRecords,
  setup({ fixture }) {
    return { behaviours: createBehaviours(fixture), formatError };
  },
};
