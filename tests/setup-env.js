/**
 * Set for every test file, before it loads: servers the tests start (in-process, and the CLIs they
 * spawn, which inherit the environment) keep their signing keys under a temporary folder shared by
 * the run, never in the developer's own cache (~/.cache/authdouble/keys.json).
 */
const os = require('node:os');
const path = require('node:path');

process.env.XDG_CACHE_HOME = path.join(os.tmpdir(), 'authdouble-test-cache');
