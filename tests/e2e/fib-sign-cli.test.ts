import { runCli, serveCli } from '../helpers/cli';
import { ALICE, BOB_CURRENT, DEV, SESSION, TEST_PRIVATE_KEY, TEST_PUBLIC_KEY } from '../helpers/fib';

jest.setTimeout(30_000);

/** Runs `authdouble fib-sign ...` (the built CLI) to the end. */
async function fibSign(args: string[], env: NodeJS.ProcessEnv = {}) {
  const run = runCli(['fib-sign', ...args], env);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describe('authdouble fib-sign (the built CLI)', () => {
  it.each([
    ['alice', ALICE],
    ['bob', BOB_CURRENT],
  ])('prints the current-form signature (plain BLAKE2b-256 digest) for %s with the 64-hex test key', async (_name, user) => {
    const res = await fibSign(['--email', user.email, '--key', TEST_PRIVATE_KEY]);
    expect(res).toEqual({ code: 0, stdout: `${user.signature}\n`, stderr: '' });
  });

  it('accepts the 128-hex Iroha form and prints a ready sign-in body with --json', async () => {
    const res = await fibSign(['-e', BOB_CURRENT.email, '-k', `${TEST_PRIVATE_KEY}${TEST_PUBLIC_KEY.toUpperCase()}`, '--json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual(BOB_CURRENT);
  });

  it('reads the key from AUTHDOUBLE_FIB_KEY', async () => {
    const res = await fibSign(['--email', DEV.email, '--json'], { AUTHDOUBLE_FIB_KEY: DEV.privateKey });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ email: DEV.email, authPublicKeyHex: DEV.publicKey });
  });

  it.each<[string, string[], RegExp]>([
    ['a key that is not hex', ['--email', 'a@b.c', '--key', 'z'.repeat(64)], /must be 64 hex characters .* or 128/],
    ['a key of the wrong length', ['--email', 'a@b.c', '--key', TEST_PRIVATE_KEY.slice(2)], /must be 64 hex characters/],
    ['an Iroha key whose halves do not match', ['--email', 'a@b.c', '--key', `${TEST_PRIVATE_KEY}${DEV.publicKey}`], /does not belong/],
    ['no e-mail', ['--key', TEST_PRIVATE_KEY], /required option '-e, --email <email>'/],
    ['an empty e-mail', ['--email', '', '--key', TEST_PRIVATE_KEY], /must not be empty/],
    ['no key', ['--email', 'a@b.c'], /required option '-k, --key <hex>'/],
    ['an unknown flag', ['--email', 'a@b.c', '--key', TEST_PRIVATE_KEY, '--bogus'], /unknown option '--bogus'/],
  ])('exits 2 with a message for %s, printing nothing on stdout', async (_name, args, message) => {
    const res = await fibSign(args, { AUTHDOUBLE_FIB_KEY: undefined });
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(message);
  });

  it('does not repeat a bad key in its message', async () => {
    const secret = `${DEV.privateKey}00`;
    const res = await fibSign(['--email', 'a@b.c', '--key', secret]);
    expect(res.code).toBe(2);
    expect(res.stderr).not.toContain(secret.slice(0, 16));
  });

  it('signs the offline-development user in against `authdouble serve`', async () => {
    const signed = await fibSign(['--email', DEV.email, '--key', DEV.privateKey, '--json']);
    expect(signed.code).toBe(0);
    const cli = await serveCli(['--api', 'fib', '--log-level', 'silent']);
    try {
      const res = await fetch(`${cli.url}${SESSION}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: signed.stdout });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: { code: 200, name: 'OK' }, data: { expirationTime: 300 } });
    } finally {
      await cli.stop();
    }
  });
});
