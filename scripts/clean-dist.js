#!/usr/bin/env node
/**
 * First step of `npm run build`: an empty dist/, so nothing a former build wrote (source maps, a
 * removed module) outlives it and ends up in the package.
 */
const { rmSync } = require('node:fs');
const path = require('node:path');

rmSync(path.resolve(__dirname, '..', 'dist'), { recursive: true, force: true });
