/**
 * authdouble as a dependency, as a user gets it: `npm pack`, install the tarball into a fresh
 * project (offline: the tarball, and its dependencies at the versions of this repo's lock file from
 * npm's cache), then compile a strict TypeScript consumer (no skipLibCheck, noUncheckedIndexedAccess)
 * under `nodenext` and `bundler` resolution with this repo's TypeScript, and run it as ESM and as
 * CommonJS against the installed package over real HTTP.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

jest.setTimeout(240_000);

const root = path.resolve(__dirname, '../..');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
let work: string;
let consumer: string;
let tarball: string;
let packedFiles: string[];
const compiled = new Map<string, { status: number | null; output: string }>();
const compile = (project: string) => {
  const result = spawnSync(process.execPath, [tsc, '-p', project], { cwd: consumer, encoding: 'utf8' });
  return { status: result.status, output: result.stdout + result.stderr };
};

const ESM_CONSUMER = `
import { startMock, type StartedMock } from 'authdouble';
import type { paths } from 'authdouble/types/b2core';

type SignInBody = paths['/api/v2/signin']['post']['requestBody']['content']['application/json'];
const mock: StartedMock<'b2core'> = await startMock({ apis: ['b2core'] });
const url: string = mock.urls.b2core; // a string, not string | undefined
const body: SignInBody = { email: 'foo@bar.com', password: 'Secret123' };
const res = await fetch(url + '/api/v2/signin', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const outbox = await mock.control.outbox();
await mock.close();
console.log(JSON.stringify({ module: 'esm', status: res.status, outbox: outbox.length }));
`;

const CJS_CONSUMER = `
import authdouble = require('authdouble');

async function main(): Promise<void> {
  const mock = await authdouble.startMock({ apis: ['vault'] });
  const url: string = mock.urls.vault;
  const res = await fetch(url + '/reg/auth/token', { method: 'POST' });
  await mock.close();
  console.log(JSON.stringify({ module: 'cjs', status: res.status }));
}
void main();
`;

function compilerOptions(resolution: 'nodenext' | 'bundler') {
  return {
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: false,
    target: 'ES2022',
    lib: ['ES2022', 'DOM'],
    ...(resolution === 'nodenext'
      ? { module: 'nodenext', moduleResolution: 'nodenext', outDir: 'out' }
      : { module: 'esnext', moduleResolution: 'bundler', noEmit: true }),
  };
}

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 180_000 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'authdouble-pack-'));
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], root)) as {
    filename: string;
    files: { path: string }[];
  }[];
  tarball = path.join(work, packed[0]!.filename);
  packedFiles = packed[0]!.files.map((f) => f.path);

  // The consumer's lock file: the tarball, and every non-dev package of this repo's lock file, so
  // that `npm ci --offline` installs from npm's cache what this repo was tested with.
  consumer = path.join(work, 'consumer');
  mkdirSync(path.join(consumer, 'src'), { recursive: true });
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string; dependencies: object; bin: object };
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; link?: boolean }> };
  const spec = `file:${tarball}`;
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', dependencies: { authdouble: spec } },
    'node_modules/authdouble': { version: pkg.version, resolved: spec, dependencies: pkg.dependencies, bin: pkg.bin },
  };
  for (const [key, entry] of Object.entries(lock.packages)) if (key !== '' && !entry.dev && !entry.link) packages[key] = entry;
  writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, dependencies: { authdouble: spec } }));
  writeFileSync(path.join(consumer, 'package-lock.json'), JSON.stringify({ name: 'consumer', lockfileVersion: 3, requires: true, packages }));
  run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], consumer);

  writeFileSync(path.join(consumer, 'src', 'esm.mts'), ESM_CONSUMER);
  writeFileSync(path.join(consumer, 'src', 'cjs.cts'), CJS_CONSUMER);
  writeFileSync(path.join(consumer, 'src', 'bundled.ts'), ESM_CONSUMER);
  writeFileSync(path.join(consumer, 'tsconfig.nodenext.json'), JSON.stringify({ compilerOptions: compilerOptions('nodenext'), files: ['src/esm.mts', 'src/cjs.cts'] }));
  writeFileSync(path.join(consumer, 'tsconfig.bundler.json'), JSON.stringify({ compilerOptions: compilerOptions('bundler'), files: ['src/bundled.ts'] }));
  for (const resolution of ['nodenext', 'bundler']) compiled.set(resolution, compile(`tsconfig.${resolution}.json`));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships a LICENSE, the generated API types and no source maps', () => {
    expect(packedFiles).toContain('LICENSE');
    expect(packedFiles).toContain('dist/index.d.ts');
    for (const api of ['admin', 'b2core', 'fib', 'khe', 'sama', 'vault']) expect(packedFiles).toContain(`dist/types/${api}.d.ts`);
    expect(packedFiles.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(packedFiles.filter((f) => f.startsWith('src/'))).toEqual([]);
  });

  it('has no install-time script', () => {
    const installed = JSON.parse(readFileSync(path.join(consumer, 'node_modules', 'authdouble', 'package.json'), 'utf8')) as {
      scripts?: Record<string, string>;
    };
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) expect(installed.scripts?.[hook]).toBeUndefined();
  });

  it('brings no dependency with an install-time script (npm 11 would flag it)', () => {
    const withScripts: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        if (name.startsWith('.')) continue;
        if (name.startsWith('@')) {
          walk(path.join(dir, name));
          continue;
        }
        const manifest = path.join(dir, name, 'package.json');
        if (!existsSync(manifest)) continue;
        const { scripts } = JSON.parse(readFileSync(manifest, 'utf8')) as { scripts?: Record<string, string> };
        if (['preinstall', 'install', 'postinstall'].some((hook) => scripts?.[hook] !== undefined)) withScripts.push(name);
        const nested = path.join(dir, name, 'node_modules');
        if (existsSync(nested)) walk(nested);
      }
    };
    walk(path.join(consumer, 'node_modules'));
    expect(withScripts).toEqual([]);
  });

  it("ships Swagger UI's files for the offline API reference (copied at build from a dev dependency)", () => {
    for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css', 'LICENSE']) expect(packedFiles).toContain(`dist/admin/swagger-ui/${file}`);
  });

  it.each(['nodenext', 'bundler'])('a strict consumer compiles under %s resolution without skipLibCheck', (resolution) => {
    expect(compiled.get(resolution)).toEqual({ status: 0, output: '' });
  });

  it('a wrong use is a type error (the consumer check can fail)', () => {
    writeFileSync(path.join(consumer, 'src', 'wrong.ts'), `import { startMock } from 'authdouble';\nvoid startMock({ apis: ['b2core'] }).then((m) => m.urls.fib.length);\n`);
    writeFileSync(path.join(consumer, 'tsconfig.wrong.json'), JSON.stringify({ compilerOptions: compilerOptions('bundler'), files: ['src/wrong.ts'] }));
    const result = compile('tsconfig.wrong.json');
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/'m\.urls\.fib' is possibly 'undefined'/);
  });

  it('runs as ESM and as CommonJS against the installed package', () => {
    const esm = execFileSync(process.execPath, ['out/esm.mjs'], { cwd: consumer, encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(esm)).toEqual({ module: 'esm', status: 200, outbox: 0 });
    const cjs = execFileSync(process.execPath, ['out/cjs.cjs'], { cwd: consumer, encoding: 'utf8', timeout: 60_000 });
    // vault's token endpoint without a body: the API's own 400, from the installed copy.
    expect(JSON.parse(cjs)).toEqual({ module: 'cjs', status: 400 });
  });

  it('the installed CLI prints its version', () => {
    const bin = path.join(consumer, 'node_modules', '.bin', 'authdouble');
    expect(execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()).toBe(
      (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version,
    );
  });
});
