import path from 'node:path';
import { apiModules } from '../apis';
import type { ApiModule } from '../engine/types';
import { StartupError } from '../errors';
import { loadFixture } from '../fixtures/load';
import { defaultFixturesDir } from '../paths';

/**
 * What a target's fixture file may add for `verify`, under the key `contract`: accounts the checks
 * use that the fixture format cannot give (or that should differ from what it gives).
 */
export interface ContractSection {
  /** Accounts by name (`user`, `twofa`, `signer`, ...): fields here replace the derived ones. */
  accounts?: Record<string, Record<string, unknown>>;
  /** fib: the private key of a user's Authorization key pair, by e-mail (64 or 128 hex characters). */
  privateKeys?: Record<string, string>;
}

export const contractSectionSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Accounts for `authdouble verify` (ignored by the mock)',
  properties: {
    accounts: { type: 'object', additionalProperties: { type: 'object' } },
    privateKeys: {
      type: 'object',
      additionalProperties: { type: 'string', pattern: '^([0-9a-fA-F]{64}|[0-9a-fA-F]{128})$' },
    },
  },
};

export interface TargetFixture {
  file: string;
  /** The fixture, validated against the API's own schema with its defaults filled in. */
  fixture: Record<string, unknown>;
  contract: ContractSection;
}

/**
 * The target's test accounts: `file` in the format of `fixtures/<api>.yaml` (plus an optional
 * `contract` section), or the mock's own fixture. A broken file is a StartupError with file:line.
 */
export function loadTargetFixture(api: string, file?: string): TargetFixture {
  const module = apiModules.find((m) => m.id === api);
  if (!module) throw new StartupError(`unknown API "${api}"; known: ${apiModules.map((m) => m.id).join(', ')}`);
  const source = file ?? path.join(defaultFixturesDir, `${api}.yaml`);
  const withContract: ApiModule = {
    ...module,
    id: `${api}+contract`,
    fixtureSchema: {
      ...module.fixtureSchema,
      properties: { ...(module.fixtureSchema.properties as object), contract: contractSectionSchema },
    },
  };
  try {
    const { contract, ...fixture } = loadFixture(withContract, source) as Record<string, unknown> & { contract?: ContractSection };
    return { file: source, fixture, contract: contract ?? {} };
  } catch (err) {
    if (err instanceof StartupError) throw new StartupError(err.message.replace(`the ${api}+contract fixture`, `the ${api} fixture`));
    throw err;
  }
}
