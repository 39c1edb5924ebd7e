import { randomUUID } from 'node:crypto';
import type { ErrorObject } from 'ajv';
import type { WebSocket } from 'ws';
import { isObject } from '../../engine/compile';
import type { RequestContext, StateRunner, WebSocketEndpoint } from '../../engine/types';
import { MockError } from '../../errors';
import { StoreUnavailable } from '../../state/backend';
import { SamaErrors } from './messages';
import { SamaSessions, socketKey, type SocketBinding } from './sessions';
import type { WsSchemaName, WsValidators } from './ws-schemas';

type RequestId = string | number;

/** `{status, message}`, or a bare string where the real server answers one (see `WsTextError`). */
type ErrorBody = { status: number; message: string } | string;

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

/** What a handler may do with its socket: bind it to a user's device, or read that binding. */
interface SocketControl {
  bind(ctx: RequestContext, b: Omit<SocketBinding, 'boundAt'>): void;
  binding(ctx: RequestContext): SocketBinding | undefined;
}

type Handler = (params: Record<string, unknown>, id: RequestId, ctx: RequestContext, socket: SocketControl) => Promise<unknown> | unknown;

/** An error the real server answers as a bare string (Joi's own message: no `cause`), e.g. `"email" is required`. */
class WsTextError extends Error {}

/**
 * `user_create`'s checks, in the real server's order (sama-server
 * `APIs/JSON/validations/users_schema_validation.js` `create`, Joi, first error only): fields with a
 * custom error answer `{status, message}`, the others Joi's own message as a string.
 */
function checkUserCreate(params: Record<string, unknown>): { organization_id: string; login: string; password: string; email: string; phone?: string } {
  const str = (v: unknown) => typeof v === 'string';
  const { organization_id, login, password, email, phone, device_id } = params;
  if (organization_id === undefined) throw new WsTextError('"organization_id" is required');
  if (!str(organization_id)) throw new WsTextError('"organization_id" must be a string');
  if (!str(login) || (login as string).length < 3 || (login as string).length > 40) throw new WsError(SamaErrors.incorrectLogin.status, SamaErrors.incorrectLogin.message);
  if (!str(password) || (password as string).length < 3 || (password as string).length > 40) {
    throw new WsError(SamaErrors.incorrectPassword.status, SamaErrors.incorrectPassword.message);
  }
  if (email === undefined) throw new WsTextError('"email" is required');
  if (!str(email)) throw new WsTextError('"email" must be a string');
  if (phone !== undefined && (!str(phone) || (phone as string).length < 3 || (phone as string).length > 15)) throw new WsTextError('"phone" is not valid');
  if (device_id !== undefined && !((typeof device_id === 'number' && device_id <= 255) || (str(device_id) && (device_id as string).length <= 255))) {
    throw new WsTextError('"device_id" does not match any of the allowed types');
  }
  const unknown = Object.keys(params).find((k) => !['organization_id', 'login', 'password', 'email', 'phone', 'device_id'].includes(k));
  if (unknown !== undefined) throw new WsTextError(`"${unknown.slice(0, 64)}" is not allowed`);
  return { organization_id: organization_id as string, login: login as string, password: password as string, email: email as string, ...(phone === undefined ? {} : { phone: phone as string }) };
}

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
    // sama-server APIs/JSON/controllers/status.js `ping`: no auth guard, `{response: {id, pong: {}}}`.
    ping: {
      schema: 'PingRequest',
      response: 'PingResponse',
      run: (_params, id) => ({ response: { id, pong: {} } }),
    },
    // APIs/JSON/controllers/users.js `create`: no auth guard, `{response: {id, user: visibleParams()}}`.
    user_create: {
      schema: 'UserCreateRequest',
      response: 'UserCreateResponse',
      run: (params, id, ctx) => ({ response: { id, user: SamaSessions.visible(sessions.createUser(ctx, checkUserCreate(params))) } }),
    },
    // APIs/JSON/controllers/users.js `logout` behind the auth guard (401 `Unauthorized.` on an unbound
    // socket): the device's tokens are deleted, `{response: {id, success: true}}`.
    user_logout: {
      schema: 'UserLogoutRequest',
      response: 'UserLogoutResponse',
      run: (_params, id, ctx, socket) => {
        const bound = socket.binding(ctx);
        if (!bound) throw new WsError(SamaErrors.unauthorized.status, SamaErrors.unauthorized.message);
        sessions.logoutDevice(ctx, bound.userId, bound.deviceId);
        return { response: { id, success: true } };
      },
    },
    connect: {
      schema: 'ConnectRequest',
      response: 'ConnectResponse',
      run: (params, id, ctx, socket) => {
        const who = sessions.checkAccess(ctx, params.token as string, String(params.device_id));
        socket.bind(ctx, { userId: who.user._id, deviceId: who.deviceId, organizationId: who.user.organization_id });
        return { response: { id, success: true } };
      },
    },
    user_login: {
      schema: 'UserLoginRequest',
      response: 'UserLoginResponse',
      run: async (params, id, ctx, socket) => {
        const who =
          typeof params.token === 'string'
            ? sessions.checkAccess(ctx, params.token, params.device_id === undefined ? undefined : String(params.device_id))
            : {
                user: sessions.checkPassword(ctx, params.organization_id as string | undefined, params.login as string, params.password as string),
                deviceId: String(params.device_id),
              };
        const token = await sessions.renewAccess(ctx, who.user, who.deviceId);
        socket.bind(ctx, { userId: who.user._id, deviceId: who.deviceId, organizationId: who.user.organization_id });
        return { response: { id, user: SamaSessions.visible(who.user), token: token.token } };
      },
    },
  };

  /** The params of a request, checked against the schema of its form; device_id problems first. */
  const checkParams = (type: string, params: unknown): Record<string, unknown> => {
    if (!isObject(params)) throw invalidData();
    // ping and user_logout take an empty object (the SDK sends {}); user_create is checked by its handler.
    if (type === 'ping' || type === 'user_logout' || type === 'user_create') return params;
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

  /** The answer to a frame, and the documented message it must match (none for the mock's own outage). */
  const answer = async (frame: string, run: StateRunner, socket: SocketControl): Promise<{ id?: RequestId; body: unknown; schema?: WsSchemaName }> => {
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
      const requestId = id;
      return { id, body: await run((ctx) => handler.run(params, requestId, ctx, socket)), schema: handler.response };
    } catch (err) {
      // The state store away: a 503 as over HTTP, which the AsyncAPI document (the real server's) does not list.
      if (err instanceof StoreUnavailable) return { id, body: errorMessage(id, { status: err.status, message: err.message }) };
      return { id, body: errorMessage(id, toErrorBody(err)), schema: 'ErrorResponse' };
    }
  };

  return {
    path: '/',
    // Up to this size a frame is read and refused with 413; beyond it ws closes the socket (1009).
    maxPayload: Math.max(1024 * 1024, 4 * maxMessageBytes),
    onConnection(socket: WebSocket, run: StateRunner) {
      const connection = randomUUID();
      const control: SocketControl = {
        bind(ctx, binding) {
          if (socket.readyState === socket.OPEN) ctx.store.set<SocketBinding>(socketKey(connection), { ...binding, boundAt: ctx.clock.now() });
        },
        binding: (ctx) => ctx.store.get<SocketBinding>(socketKey(connection)),
      };
      const send = (id: RequestId | undefined, body: unknown, schema?: WsSchemaName): void => {
        const validate = schema === undefined ? undefined : validators[schema];
        const checked =
          !validate || validate(body) ? body : errorMessage(id, { status: 500, message: `The mock's answer breaks the AsyncAPI document: ${firstProblem(validate.errors)}` });
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(checked));
      };
      socket.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
        const raw = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
        if (raw.length > maxMessageBytes) {
          send(undefined, errorMessage(undefined, { status: 413, message: `The message is larger than the limit of ${maxMessageBytes} bytes.` }), 'ErrorResponse');
          return;
        }
        answer(raw.toString('utf8'), run, control).then(
          ({ id, body, schema }) => send(id, body, schema),
          () => send(undefined, errorMessage(undefined, { status: 500, message: 'Internal error.' }), 'ErrorResponse'),
        );
      });
      socket.on('close', () => {
        // A store that cannot be reached now keeps the binding until its time-to-live ends.
        run((ctx) => ctx.store.delete(socketKey(connection))).catch(() => undefined);
      });
    },
  };
}

function errorMessage(id: RequestId | undefined, error: ErrorBody): unknown {
  return { response: { ...(id === undefined ? {} : { id }), error } };
}

function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof WsTextError) return err.message;
  if (err instanceof WsError) return { status: err.status, message: err.message };
  if (err instanceof MockError && err.expose) return { status: err.status, message: err.message };
  return { status: 500, message: 'Internal error.' };
}
