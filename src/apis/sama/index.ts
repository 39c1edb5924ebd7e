import { randomBytes } from 'node:crypto';
import type { ApiModule, MockResponse } from '../../engine/types';
import { EngineCodes, type MockError } from '../../errors';
import { createJwtSigner } from '../shared/jwt';
import { createBehaviours } from './behaviours';
import { checkFixture, fixtureSchema, type SamaFixture } from './fixture';
import { SamaErrors } from './messages';
import { SamaSessions, samaLinkedRecords } from './sessions';
import { createWebSocketEndpoint } from './websocket';
import { loadWsValidators } from './ws-schemas';

/** SAMA chat server: HTTP login/logout with a refresh cookie, then a WebSocket `connect`. */
export const sama: ApiModule<SamaFixture> = {
  id: 'sama',
  title: 'SAMA chat server',
  fixtureSchema,
  checkFixture,
  linkedRecords: samaLinkedRecords,
  setup({ fixture, keys }) {
    const signer = createJwtSigner(keys, 'EdDSA', 'sama');
    const sessions = new SamaSessions(fixture, signer);
    return {
      // The secret the refresh cookie is signed with: new at every start, as nothing outside needs it.
      behaviours: createBehaviours(fixture, sessions, randomBytes(32).toString('base64')),
      formatError,
      publicJwks: async () => [await signer.publicJwk()],
      websocket: createWebSocketEndpoint(sessions, loadWsValidators(), fixture.websocket.maxMessageBytes),
    };
  },
};

/**
 * The real server answers HTTP errors with a bare text/plain message. Engine errors become the
 * message the real server gives for the same mistake.
 */
export function formatError(error: MockError): MockResponse {
  const text = (status: number, message: string): MockResponse => ({ status, contentType: 'text/plain', body: message, headers: error.headers });
  switch (error.code) {
    case EngineCodes.invalidJson:
      return text(400, SamaErrors.invalidDataFormat.message);
    case EngineCodes.validationFailed: {
      // The real server checks device_id before anything else.
      const noDevice = error.details.some((d) => d.path === '' || (d.path === '/device_id' && d.message === 'is required'));
      return noDevice ? text(422, SamaErrors.deviceIdMissed.message) : text(400, SamaErrors.invalidDataFormat.message);
    }
    case EngineCodes.missingCredentials:
    case EngineCodes.invalidCredentialsHeader:
      return text(401, SamaErrors.missingCredentials.message);
    default:
      // payload_too_large, unsupported_media_type and the behaviours' own errors keep their status.
      return text(error.status, error.message);
  }
}
