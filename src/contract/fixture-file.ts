import path from 'node:path';
import { apiModules } from '../apis';
import { StartupError } from '../errors';
import { loadFixture } from '../fixtures/load';
import { defaultFixturesDir } from '../paths';
import type { ContractSection } from '../fixtures/contract-section';

export type { ContractSection };

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
  const { contract, ...fixture } = loadFixture(module, source) as Record<string, unknown> & { contract?: ContractSection };
  return { file: source, fixture, contract: contract ?? {} };
}
