/**
 * Holds WebSocket frames to an API's AsyncAPI document (only sama has a socket): which request a
 * frame is (`{request: {connect: {...}, id}}` is `connect`), and whether an answer is one of the
 * replies the document's operation for that request allows. The request → replies table is read
 * from the document's `operations` (message `name` → `reply.messages`), the schemas are the ones the
 * mock itself answers with (src/apis/sama/ws-schemas.ts).
 */
import { asyncApiFile, loadWsValidators, type WsSchemaName, type WsValidators } from '../apis/sama/ws-schemas';
import { toDiagnostics } from '../engine/ajv';
import { isObject } from '../engine/compile';
import { readYamlFile } from '../engine/yaml-file';
import { StartupError } from '../errors';

/** The APIs that have a WebSocket, and their AsyncAPI document. */
const ASYNCAPI: Record<string, string> = { sama: asyncApiFile };

export function hasWebSocket(api: string): boolean {
  return Object.hasOwn(ASYNCAPI, api);
}

/** The request type of a frame: the one key of `request` besides `id`. */
export function requestTypeOf(frame: unknown): string | undefined {
  if (!isObject(frame) || !isObject(frame.request)) return undefined;
  const types = Object.keys(frame.request).filter((k) => k !== 'id');
  return types.length === 1 ? types[0] : undefined;
}

/** `request.id` of a sent frame or `response.id` of an answer. */
export function frameId(frame: unknown): string | number | undefined {
  if (!isObject(frame)) return undefined;
  const inner = isObject(frame.request) ? frame.request : isObject(frame.response) ? frame.response : undefined;
  const id = inner?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}

export interface AnswerCheck {
  /** The operation's title in the document, when the request is one it describes. */
  operation?: string;
  /** `/response/success: must be one of true`; empty when the answer is allowed. */
  problems: string[];
}

export class WsSpec {
  private constructor(
    private readonly validators: WsValidators,
    /** Request type → the operation's key and the schemas of its replies. */
    private readonly replies: Map<string, { operation: string; schemas: WsSchemaName[] }>,
  ) {}

  static load(api: string): WsSpec {
    const file = ASYNCAPI[api];
    if (file === undefined) throw new StartupError(`${api} has no WebSocket (no AsyncAPI document)`);
    const doc = readYamlFile(file, `the ${api} AsyncAPI document`).data;
    const resolve = (ref: unknown): unknown =>
      typeof ref === 'string' && ref.startsWith('#/')
        ? ref
            .slice(2)
            .split('/')
            .reduce<unknown>((node, key) => (isObject(node) ? node[key.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), doc)
        : undefined;
    /** A message reference (through the channel) → the message object. */
    const message = (ref: unknown): Record<string, unknown> | undefined => {
      let node = isObject(ref) ? resolve(ref.$ref) : undefined;
      if (isObject(node) && typeof node.$ref === 'string') node = resolve(node.$ref);
      return isObject(node) ? node : undefined;
    };
    const schemaName = (msg: Record<string, unknown> | undefined): string | undefined => {
      const ref = isObject(msg?.payload) ? msg.payload.$ref : undefined;
      return typeof ref === 'string' ? ref.split('/').pop() : undefined;
    };
    const validators = loadWsValidators(file);
    const replies = new Map<string, { operation: string; schemas: WsSchemaName[] }>();
    const operations = isObject(doc) && isObject(doc.operations) ? doc.operations : {};
    for (const [key, op] of Object.entries(operations)) {
      if (!isObject(op) || !Array.isArray(op.messages) || !isObject(op.reply) || !Array.isArray(op.reply.messages)) continue;
      const schemas = op.reply.messages.map((m) => schemaName(message(m))).filter((n): n is WsSchemaName => n !== undefined && n in validators);
      for (const m of op.messages) {
        const name = message(m)?.name;
        if (typeof name === 'string' && schemas.length > 0) replies.set(name, { operation: key, schemas });
      }
    }
    if (replies.size === 0) throw new StartupError(`${file}: no operation with a reply`);
    return new WsSpec(validators, replies);
  }

  /** The request types the document describes. */
  get requestTypes(): string[] {
    return [...this.replies.keys()];
  }

  /** The key of the document's operation for a request type (`user_login` → `userLogin`). */
  operationOf(type: string | undefined): string | undefined {
    return type === undefined ? undefined : this.replies.get(type)?.operation;
  }

  /**
   * Whether `answer` is a reply the document allows to a `type` request. Its problems are those of
   * the reply schema it is meant to be: the error schema when it carries `response.error`, else the
   * operation's other replies.
   */
  checkAnswer(type: string | undefined, answer: unknown): AnswerCheck {
    const known = type === undefined ? undefined : this.replies.get(type);
    if (!known) return { problems: [] };
    if (known.schemas.some((name) => this.validators[name](answer))) return { operation: known.operation, problems: [] };
    const isError = isObject(answer) && isObject(answer.response) && 'error' in answer.response;
    const meant = known.schemas.filter((name) => (name === 'ErrorResponse') === isError);
    const blame = meant.length > 0 ? meant : known.schemas;
    const problems = blame.flatMap((name) => {
      const validate = this.validators[name];
      validate(answer);
      return toDiagnostics(validate.errors).map((d) => `${d.path || '(message)'}: ${d.message}`);
    });
    return { operation: known.operation, problems: [...new Set(problems)] };
  }
}
