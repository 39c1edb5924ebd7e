import path from 'node:path';

/** The package's own folder (the checkout, or node_modules/authdouble), in src/ and in dist/ alike. */
export const packageRoot = path.resolve(__dirname, '..');
export const defaultSpecDir = path.join(packageRoot, 'openapi');
export const defaultFixturesDir = path.join(packageRoot, 'fixtures');
