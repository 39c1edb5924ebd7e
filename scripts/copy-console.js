#!/usr/bin/env node
/**
 * Part of `npm run build`: the web console's files (plain ES modules, CSS and HTML, no build step
 * of their own) go from src/admin/ui/ to dist/admin/ui/, where the server reads them on first request.
 */
const { cpSync, rmSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const target = path.join(root, 'dist', 'admin', 'ui');
rmSync(target, { recursive: true, force: true });
cpSync(path.join(root, 'src', 'admin', 'ui'), target, { recursive: true });
