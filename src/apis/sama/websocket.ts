import { randomUUID } from 'node:crypto';
import type { ErrorObject } from 'ajv';
import type { WebSocket } from 'ws';
import { isObject } from '../../engine/compile';
import type { RequestContext, WebSocketEndpoint } from '../../engine/types';
import { MockError } from '../../errors';
import { SamaErrors } from './messages';
import { SamaSessions, socketKey, type SocketBinding } from './sessions';
import type { WsSchemaName, WsValidators } from './ws-schemas';

type RequestId = string | number;

interface ErrorBody {
  status: number;
  message: string;
}

/** An error answered on the socket: `{response: {id?, error: {status, message}}}`. */
class WsError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const invalidData = (): WsError => new WsError(SamaErrors.invalidDataFormat.status, SamaErrors.invalidDataFormat.message);
const deviceIdMissed = (): WsError => new WsError(SamaErrors.deviceIdMissed.status, SamaErrors.deviceIdMissed.message);

type Handler = (params: Record<string, unknown>, id: RequestId, ctx: RequestContext, bind: (b: Omit<SocketBinding, 'boundAt'>) => void) => Promise<unknown> | unknown;

/** One-line digest of the first schema problem, for the 500 an invalid answer turns into. */
const firstProblem = (errors: ErrorObject[] | null | undefined): string => {
  const e = errors?.[0];
  return e ? `${e.instancePath || '(message)'} ${e.message ?? 'is invalid'}` : 'is invalid';
};

/**
 * The SAMA socket: `connect` and the deprecated `user_login`, each answered with the documented
 * response or `{response: {id, error: {status, message}}}`. Nothing a client sends can close the
 * socket or throw out of a handler.
 */
export function createWebSocketEndpoint(sessions: SamaSessions, validators: WsValidators, maxMessageBytes: number): WebSocketEndpoint {
  const handlers: Record<string, { schema: WsSchemaName; response: WsSchemaName; run: Handler }> = {
    connect: {
      schema: 'ConnectRequest',
      response: 'ConnectResponse',
      run: (params, id, ctx, bind) => {
        const who = sessions.checkAccess(ctx, params.token as string, String(params.device_id));
        bind({ userId: who.user._id, deviceId: who.deviceId, organizationId: who.user.organization_id });
        return { response: { id, success: true } };
      },
    },
    user_login: {
      schema: 'UserLoginRequest',
      response: 'UserLoginResponse',
      run: async (params, id, ctx, bind) => {
        const who =
          typeof params.token === 'string'
            ? sessions.checkAccess(ctx, params.token, params.device_id === undefined ? undefined : String(params.device_id))
            : {
                user: sessions.checkPassword(params.organization_id as string | undefined, params.login as string, params.password as string),
                deviceId: String(params.device_id),
              };
        const token = await sessions.renewAccess(ctx, who.user, who.deviceId);
        bind({ userId: who.user._id, deviceId: who.deviceId, organizationId: who.user.organization_id });
        return { response: { id, user: SamaSessions.visible(who.user), token: token.token } };
      },
    },
  };

  /** The params of a request, checked against the schema of its form; device_id problems first. */
  const checkParams = (type: string, params: unknown): Record<string, unknown> => {
    if (!isObject(params)) throw invalidData();
    const schema: WsSchemaName = type === 'connect' ? 'ConnectParams' : 'token' in params ? 'UserLoginByToken' : 'UserLoginByPassword';
    const validate = validators[schema];
    if (validate(params)) return params;
    const aboutDeviceId = (validate.errors ?? []).some(
      (e) =>
        (e.keyword === 'required' && (e.params as { missingProperty?: string }).missingProperty === 'device_id') ||
        (e.instancePath === '/device_id' && e.keyword === 'minLength'),
    );
    throw aboutDeviceId ? deviceIdMissed() : invalidData();
  };

  const answer = async (frame: string, ctx: RequestContext, bind: (b: Omit<SocketBinding, 'boundAt'>) => void): Promise<{ id?: RequestId; body: unknown; schema: WsSchemaName }> => {
    let id: RequestId | undefined;
    try {
      let json: unknown;
      try {
        json = JSON.parse(frame);
      } catch {
        throw invalidData();
      }
      const request = isObject(json) ? json.request : undefined;
      if (!isObject(json) || !isObject(request)) throw invalidData();
      if (validators.RequestId(request.id)) id = request.id as RequestId;
      const types = Object.keys(request).filter((k) => k !== 'id');
      if (types.length !== 1) throw invalidData();
      const type = types[0]!;
      const handler = Object.hasOwn(handlers, type) ? handlers[type] : undefined;
      if (!handler) throw new WsError(400, `Unsupported request '${type.slice(0, 64)}'.`);
      const params = checkParams(type, request[type]);
      // The whole frame against the documented message: the id and nothing else beside the request.
      if (id === undefined || !validators[handler.schema](json)) throw invalidData();
      return { id, body: await handler.run(params, id, ctx, bind), schema: handler.response };
    } catch (err) {
      return { id, body: errorMessage(id, toErrorBody(err)), schema: 'ErrorResponse' };
    }
  };

  return {
    path: '/',
    // Up to this size a frame is read and refused with 413; beyond it ws closes the socket (1009).
    maxPayload: Math.max(1024 * 1024, 4 * maxMessageBytes),
    onConnection(socket: WebSocket, ctx: RequestContext) {
      const connection = randomUUID();
      const bind = (binding: Omit<SocketBinding, 'boundAt'>): void => {
        if (socket.readyState === socket.OPEN) ctx.store.set<SocketBinding>(socketKey(connection), { ...binding, boundAt: ctx.clock.now() });
      };
      const send = (id: RequestId | undefined, body: unknown, schema: WsSchemaName): void => {
        const validate = validators[schema];
        const checked = validate(body) ? body : errorMessage(id, { status: 500, message: `The mock's answer breaks the AsyncAPI document: ${firstProblem(validate.errors)}` });
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(checked));
      };
      socket.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
        const raw = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
        if (raw.length > maxMessageBytes) {
          send(undefined, errorMessage(undefined, { status: 413, message: `The message is larger than the limit of ${maxMessageBytes} bytes.` }), 'ErrorResponse');
          return;
        }
        answer(raw.toString('utf8'), ctx, bind).then(
          ({ id, body, schema }) => send(id, body, schema),
          () => send(undefined, errorMessage(undefined, { status: 500, message: 'Internal error.' }), 'ErrorResponse'),
        );
      });
      socket.on('close', () => ctx.store.delete(socketKey(connection)));
    },
  };
}

function errorMessage(id: RequestId | undefined, error: ErrorBody): unknown {
  return { response: { ...(id === undefined ? {} : { id }), error } };
}

function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof WsError) return { status: err.status, message: err.message };
  if (err instanceof MockError && err.expose) return { status: err.status, message: err.message };
  return { status: 500, message: 'Internal error.' };
}
