// The ceiling of an API's sign-in: how many pairs of its tokens (access + refresh, with the claims it
// issues) the same signer makes per second when it does nothing else.
// Usage: sign-ceiling.js <b2core|vault|fib> <seconds> <concurrency> [verify]
// With `verify` (fib only), each pair also verifies the sign-in's Ed25519 e-mail signature: all the
// crypto a fib sign-in does.
const path = require('node:path');
const { createJwtSigner } = require(path.join(__dirname, '../../dist/apis/shared/jwt.js'));
const { KeyRing } = require(path.join(__dirname, '../../dist/apis/shared/keys.js'));

const PAIRS = {
  b2core: { alg: 'RS256', access: { sub: '1', iss: 'https://ap.vendor.com' }, refresh: { sub: '1', iss: 'https://ap.vendor.com' }, ttl: [36000, 2592000] },
  vault: {
    alg: 'RS256',
    access: { sub: 'usr:74177c2d-11b5-4536-af4e-485dfd078cc1', client_id: 'haequi3Aah8lie2r', scope: 'accounts:create accounts:read transfer:read' },
    refresh: { sub: 'usr:74177c2d-11b5-4536-af4e-485dfd078cc1', client_id: 'haequi3Aah8lie2r' },
    ttl: [86400, 2592000],
  },
  fib: {
    alg: 'EdDSA',
    access: { acc: 'alice@wonderland', sub: 'alice@wonderland.space', role: 'ROLE_PEER' },
    refresh: { sub: 'alice@wonderland.space', acjti: '06833aef-7d9c-4615-a58a-6b61efd3aa61' },
    ttl: [300, 86400],
  },
};

function fibVerifier() {
  const { verifyEmailSignature } = require(path.join(__dirname, '../../dist/apis/fib/signing.js'));
  const signature = Buffer.from(
    '57e7115dfb9faa9add2d2ceb321c20db8c1e7f468d2ffc122793fa61e8ed61581580faaeae83a07fe857894bb33defd61c4ba099b981020146fe8d2be00e630a',
    'hex',
  );
  const key = Buffer.from('7fbedb314a9b0c00caef967ac5cabb982ec45da828a0c58a9aafc854f32422ac', 'hex');
  return () => {
    if (!verifyEmailSignature('alice@wonderland.space', signature, key)) throw new Error('test vector does not verify');
  };
}

async function main() {
  const [api = 'b2core', secondsArg = '5', concurrencyArg = '50', mode] = process.argv.slice(2);
  const verify = mode === 'verify' ? fibVerifier() : () => undefined;
  const pair = PAIRS[api];
  if (!pair) throw new Error(`unknown api ${api}`);
  const seconds = Number(secondsArg);
  const signer = createJwtSigner(new KeyRing(), pair.alg, 'bench');
  await signer.publicJwk(); // the key is made before the clock starts
  const end = Date.now() + seconds * 1000;
  let pairs = 0;
  const loop = async () => {
    while (Date.now() < end) {
      const now = Date.now();
      verify();
      await Promise.all([signer.sign(pair.access, now, pair.ttl[0]), signer.sign(pair.refresh, now, pair.ttl[1])]);
      pairs++;
    }
  };
  await Promise.all(Array.from({ length: Number(concurrencyArg) }, loop));
  process.stdout.write(`${pairs / seconds}\n`);
}
main();
