import path from 'node:path';
import type { ValidateFunction } from 'ajv';
import { createSpecAjv } from '../../engine/ajv';
import { collectExtensionKeys, isObject, lazyValidator } from '../../engine/compile';
import { precompiledSpec } from '../../engine/precompiled';
import { readYamlFile } from '../../engine/yaml-file';
import { StartupError } from '../../errors';
import { packageRoot } from '../../paths';

/** The AsyncAPI document that describes the SAMA WebSocket, and that the server holds it to. */
export const asyncApiFile = path.join(packageRoot, 'asyncapi', 'sama.yaml');

export const WS_SCHEMA_NAMES = [
  'RequestId',
  'ConnectRequest',
  'ConnectParams',
  'UserLoginRequest',
  'UserLoginByPassword',
  'UserLoginByToken',
  'ConnectResponse',
  'UserLoginResponse',
  'ErrorResponse',
  'PingRequest',
  'PingResponse',
  'UserCreateRequest',
  'UserCreateResponse',
  'UserLogoutRequest',
  'UserLogoutResponse',
] as const;

export type WsSchemaName = (typeof WS_SCHEMA_NAMES)[number];
export type WsValidators = Record<WsSchemaName, ValidateFunction>;

/**
 * The message schemas of the AsyncAPI document: the build's standalone code while the document is
 * the one it was built from (scripts/compile-validators.js), else each compiled when first used
 * (the embedded document is linted and compiled whole by the tests); a missing schema stops start-up.
 */
export function loadWsValidators(file = asyncApiFile): WsValidators {
  const doc = readYamlFile(file, 'the sama AsyncAPI document').data;
  if (!isObject(doc) || !isObject(doc.components) || !isObject(doc.components.schemas)) {
    throw new StartupError(`${file}: components.schemas is missing`);
  }
  const components = doc.components;
  let ajv: ReturnType<typeof createSpecAjv> | undefined;
  const out: Partial<WsValidators> = {};
  const built = precompiledSpec('asyncapi-sama', file);
  for (const name of WS_SCHEMA_NAMES) {
    if (!(name in doc.components.schemas)) throw new StartupError(`${file}: components.schemas.${name} is missing`);
    out[name] = lazyValidator(() => {
      const code = built?.(name);
      if (code) return code;
      ajv ??= createSpecAjv('asyncapi:sama', { components }, collectExtensionKeys(doc));
      try {
        return ajv.compile({ $ref: `asyncapi:sama#/components/schemas/${name}` });
      } catch (err) {
        throw new StartupError(`${file}: components.schemas.${name} does not compile: ${(err as Error).message}`);
      }
    });
  }
  return out as WsValidators;
}
