// The sign-in's ceiling: how many pairs of b2core tokens (access + refresh, RS256) the server's own
// signer makes per second when it does nothing else. Usage: sign-ceiling.js <seconds> <concurrency>.
const path = require('node:path');
const { createJwtSigner } = require(path.join(__dirname, '../../dist/apis/shared/jwt.js'));

async function main() {
  const seconds = Number(process.argv[2] ?? 5);
  const concurrency = Number(process.argv[3] ?? 50);
  const signer = await createJwtSigner('RS256', 'bench');
  const claims = { sub: '1', iss: 'https://ap.vendor.com' };
  const end = Date.now() + seconds * 1000;
  let pairs = 0;
  const loop = async () => {
    while (Date.now() < end) {
      await Promise.all([signer.sign(claims, Date.now(), 36000), signer.sign(claims, Date.now(), 2592000)]);
      pairs++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  process.stdout.write(`${pairs / seconds}\n`);
}
main();
