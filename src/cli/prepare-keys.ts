/**
 * The CLI imports this first: when it is about to serve, it starts generating the RSA key pairs
 * that b2core and vault sign with, so that the search for primes overlaps loading the program.
 */
import { prepareKeyPairs } from '../apis/shared/key-pool';

const command = process.argv[2];
if (command === undefined || command === 'serve' || command.startsWith('-')) prepareKeyPairs('RS256', 2);
