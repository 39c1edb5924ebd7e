import fc from 'fast-check';
import { nastyString, refArbitrary } from './requests';
import { graphemes } from './unicode';

/** One frame a fuzzing client sends on the sama socket. Refs stand for live tokens. */
export interface WsFrame {
  label: string;
  /** A JSON-like value (serialized when sent), or text, or raw bytes sent as a binary frame. */
  payload: { kind: 'value'; value: unknown } | { kind: 'text'; text: string } | { kind: 'binary'; bytes: Uint8Array };
}

const ORG = '680a2fae96cc69d78861f101';
const USERS = [
  { organization_id: ORG, login: 'user_1', password: 'user_paswword_1', device_id: 'xxx-yyy-zzz' },
  { organization_id: ORG, login: 'login_u1', password: 'u1_password', device_id: 'device_u1' },
];

const id = fc.oneof(
  { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 1e6 }) },
  { weight: 1, arbitrary: fc.oneof(fc.constant(null), fc.boolean(), fc.double(), fc.constant({ x: 1 }), fc.constant([1]), fc.constant(''), nastyString()) },
);
const device = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('device_u1', 'xxx-yyy-zzz', 'd') }, { weight: 1, arbitrary: fc.oneof(fc.integer(), nastyString(), fc.constant('')) });
const token: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: refArbitrary(['access', 'refresh']) },
  { weight: 1, arbitrary: fc.oneof(nastyString(), fc.integer(), fc.constant(null), fc.constant('a.b.c')) },
);

/** Params of connect and user_login as documented, then mutated one field at a time. */
const params = fc.oneof(
  fc.record({ token, device_id: device }).map((p) => ({ type: 'connect', p: p as Record<string, unknown> })),
  fc.constantFrom(...USERS).chain((u) =>
    fc.oneof(fc.constant(u.password), nastyString()).map((password) => ({ type: 'user_login', p: { ...u, password } as Record<string, unknown> })),
  ),
  fc.record({ token }, { requiredKeys: ['token'] }).chain((p) =>
    fc.option(device, { nil: undefined }).map((d) => ({ type: 'user_login', p: (d === undefined ? p : { ...p, device_id: d }) as Record<string, unknown> })),
  ),
);

const mutation = fc.oneof(
  fc.constantFrom('token', 'device_id', 'login', 'password', 'organization_id').map((k) => ({ label: `without ${k}`, apply: (p: Record<string, unknown>) => void delete p[k] })),
  fc.tuple(fc.constantFrom('token', 'device_id', 'login', 'password', 'organization_id', 'extra', '__proto__', 'constructor'), fc.oneof(nastyString(), fc.integer(), fc.constant(null), fc.jsonValue({ maxDepth: 3 }), fc.constant({ polluted: 'yes' }))).map(
    ([k, v]) => ({ label: `${k} hostile`, apply: (p: Record<string, unknown>) => void Object.defineProperty(p, k, { value: v, enumerable: true, writable: true, configurable: true }) }),
  ),
);

const wellFormed: fc.Arbitrary<WsFrame> = fc
  .record({ req: params, id, mutations: fc.array(mutation, { maxLength: 2 }), type: fc.oneof({ weight: 12, arbitrary: fc.constant<string | undefined>(undefined) }, { weight: 1, arbitrary: fc.constantFrom('message_list', 'toString', '__proto__', 'hasOwnProperty', '') }) })
  .map(({ req, id: requestId, mutations, type }) => {
    const p = { ...req.p };
    for (const m of mutations) m.apply(p);
    const request: Record<string, unknown> = { id: requestId };
    Object.defineProperty(request, type ?? req.type, { value: p, enumerable: true, writable: true, configurable: true });
    return { label: `${type ?? req.type}${mutations.map((m) => `, ${m.label}`).join('')}`, payload: { kind: 'value' as const, value: { request } } };
  });

const malformed: fc.Arbitrary<WsFrame> = fc.oneof(
  fc
    .constantFrom(
      '',
      '{',
      '[1,2]',
      'null',
      '"request"',
      '{"request":null,"id":1}',
      '{"request":{"connect":{},"user_login":{},"id":"x"}}',
      '{"request":{"id":"x"}}',
      '{"request":{"connect":{"token":"t","device_id":"d"},"id":"x"},"extra":1}',
      '{"__proto__":{"polluted":"yes"},"request":{"connect":{"token":"t","device_id":"d"},"id":"x"}}',
      '{"request":{"constructor":{"prototype":{"polluted":"yes"}},"id":"x"}}',
      '\ufeff{}',
      '{"request":{"connect":{"token":"\\ud800","device_id":"d"},"id":"x"}}',
    )
    .map((text) => ({ label: `malformed ${JSON.stringify(text.slice(0, 30))}`, payload: { kind: 'text' as const, text } })),
  graphemes(0, 200).map((text) => ({ label: 'random text', payload: { kind: 'text' as const, text } })),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ label: 'random binary', payload: { kind: 'binary' as const, bytes } })),
  fc.constantFrom(1_000, 30_000).map((depth) => ({ label: `${depth}-deep`, payload: { kind: 'text' as const, text: `{"request":{"connect":${'['.repeat(depth)}${']'.repeat(depth)},"id":"x"}}` } })),
  fc.constantFrom(70_000, 300_000).map((n) => ({ label: `${n}-byte frame`, payload: { kind: 'text' as const, text: `{"request":{"user_login":{"login":"${'x'.repeat(n)}"},"id":"big"}}` } })),
  fc.constant({ label: 'binary UTF-8 JSON', payload: { kind: 'binary' as const, bytes: Uint8Array.from(Buffer.from(JSON.stringify({ request: { user_login: USERS[0], id: 'bin' } }))) } }),
  fc.constant({ label: 'invalid UTF-8 in a binary frame', payload: { kind: 'binary' as const, bytes: Uint8Array.from([0x7b, 0xff, 0xfe, 0xc3, 0x28, 0x7d]) } }),
);

export const wsFrameArbitrary: fc.Arbitrary<WsFrame> = fc.oneof({ weight: 3, arbitrary: wellFormed }, { weight: 2, arbitrary: malformed });

/** A raw WebSocket frame, as bytes, that breaks the protocol (or only bends it). */
export interface RawFrame {
  label: string;
  bytes: Buffer;
}

export const rawFrameArbitrary: fc.Arbitrary<RawFrame> = fc
  .record({
    fin: fc.boolean(),
    rsv: fc.nat(7),
    opcode: fc.oneof(fc.constantFrom(0x0, 0x1, 0x2, 0x8, 0x9, 0xa), fc.nat(15)),
    masked: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    lengthForm: fc.constantFrom('exact', 'short', 'long16', 'long64', 'huge64'),
    payload: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constant(Uint8Array.from(Buffer.from('{"request":{"connect":{"token":"t","device_id":"d"},"id":"r"}}'))), fc.constant(Uint8Array.from([0xff, 0xfe]))),
    truncate: fc.nat(3).map((n) => n === 0),
  })
  .map(({ fin, rsv, opcode, masked, lengthForm, payload, truncate }) => {
    const data = Buffer.from(payload);
    const first = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
    let header: Buffer;
    if (lengthForm === 'long16' || (lengthForm === 'exact' && data.length > 125)) {
      header = Buffer.from([first, (masked ? 0x80 : 0) | 126, data.length >> 8, data.length & 0xff]);
    } else if (lengthForm === 'long64' || lengthForm === 'huge64') {
      header = Buffer.alloc(10);
      header[0] = first;
      header[1] = (masked ? 0x80 : 0) | 127;
      if (lengthForm === 'huge64') header.writeUInt32BE(0xffffffff, 2);
      header.writeUInt32BE(data.length, 6);
    } else {
      const length = lengthForm === 'short' ? Math.min(125, data.length + 7) : data.length;
      header = Buffer.from([first, (masked ? 0x80 : 0) | length]);
    }
    const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
    const body = masked ? Buffer.from(data.map((b, i) => b ^ key[i % 4]!)) : data;
    const bytes = Buffer.concat([header, masked ? key : Buffer.alloc(0), body]);
    return {
      label: `fin=${fin} rsv=${rsv} opcode=${opcode} masked=${masked} length=${lengthForm} payload=${data.length}${truncate ? ' truncated' : ''}`,
      bytes: truncate ? bytes.subarray(0, Math.max(1, bytes.length >> 1)) : bytes,
    };
  });
