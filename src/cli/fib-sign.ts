import { Option, type Command } from 'commander';
import { parsePrivateKey, signEmail, type SigningKey } from '../apis/fib/signing';

/** Where `--key` may come from instead of argv (which other users of the machine can see). */
export const FIB_KEY_ENV = 'AUTHDOUBLE_FIB_KEY';

/**
 * `authdouble fib-sign --email E --key HEX [--json]`: the FIB sign-in signature of an e-mail, so that
 * nobody has to write BLAKE2b and Ed25519 code to sign in. Prints the signature as hex, or with
 * `--json` the whole sign-in body. A bad key is a usage error (exit 2), and is not echoed.
 */
export function addFibSignCommand(program: Command): Command {
  return program
    .command('fib-sign')
    .description('sign an e-mail for FIB sign-in: prints hex(Ed25519-sign(key, BLAKE2b-256(email))), the form of the current FIB docs')
    .requiredOption('-e, --email <email>', 'the e-mail to sign, exactly as it will be sent')
    .addOption(
      new Option('-k, --key <hex>', 'the private key of the Authorization key pair: 64 hex characters, or 128 (Iroha form: private then public key)')
        .env(FIB_KEY_ENV)
        .makeOptionMandatory(),
    )
    .option('--json', 'print the sign-in body {email, signature, authPublicKeyHex} instead of the signature alone', false)
    .action(function (this: Command, flags: { email: string; key: string; json: boolean }) {
      if (flags.email === '') this.error("error: option '-e, --email <email>' must not be empty");
      let key: SigningKey;
      try {
        key = parsePrivateKey(flags.key);
      } catch (err) {
        // The message says what is wrong without repeating the key.
        return this.error(`error: option '-k, --key <hex>': ${(err as Error).message}`);
      }
      const signature = signEmail(flags.email, key);
      const output = flags.json ? JSON.stringify({ email: flags.email, signature, authPublicKeyHex: key.publicKeyHex }) : signature;
      process.stdout.write(`${output}\n`);
    });
}
