#!/usr/bin/env node
/**
 * `npm run mutate`: StrykerJS (stryker.config.json) on src/apis/shared, src/engine and src/state with
 * the jest runner, one test process at a time, within a wall-clock budget (MUTATE_BUDGET_MINUTES,
 * default 60; Stryker is stopped past it). Not part of `npm test`: it takes tens of minutes.
 * Results are incremental (reports/mutation/stryker-incremental.json): a later run retests only
 * what changed. Extra arguments go to Stryker, e.g. `npm run mutate -- --mutate src/state/store.ts`
 * (several globs: one argument, comma-separated: `--mutate 'src/state/a.ts,src/state/b.ts'`).
 * Ends with the score and the surviving mutants per file (also in reports/mutation/mutation.json).
 */
const { spawn } = require('node:child_process');
const { existsSync, readFileSync, statSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const budgetMinutes = Number(process.env.MUTATE_BUDGET_MINUTES ?? 60);
const report = path.join(root, 'reports', 'mutation', 'mutation.json');

const child = spawn(path.join(root, 'node_modules', '.bin', 'stryker'), ['run', 'stryker.config.json', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  detached: true,
});
const started = Date.now();
let overBudget = false;
const budget = setTimeout(() => {
  overBudget = true;
  process.stderr.write(`\nmutate: over the budget of ${budgetMinutes} min; stopping Stryker (narrow the run with -- --mutate <files>)\n`);
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}, budgetMinutes * 60_000);

child.on('close', (code) => {
  clearTimeout(budget);
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  // A report older than this run is an earlier run's: Stryker failed before writing one.
  const fresh = existsSync(report) && statSync(report).mtimeMs >= started;
  if (overBudget || !fresh) {
    process.stdout.write(`\nmutate: no score (${overBudget ? 'over budget' : `Stryker exited ${code} without a report`}, ${minutes} min)\n`);
    process.exitCode = 1;
    return;
  }
  const { files } = JSON.parse(readFileSync(report, 'utf8'));
  const count = {};
  const survivors = [];
  for (const [file, { mutants }] of Object.entries(files)) {
    for (const m of mutants) {
      count[m.status] = (count[m.status] ?? 0) + 1;
      if (m.status === 'Survived' || m.status === 'NoCoverage') {
        survivors.push(`${file}:${m.location.start.line} ${m.mutatorName}${m.replacement ? ` → ${m.replacement.replace(/\s+/g, ' ').slice(0, 80)}` : ''} (${m.status})`);
      }
    }
  }
  const n = (s) => count[s] ?? 0;
  const detected = n('Killed') + n('Timeout');
  const valid = detected + n('Survived') + n('NoCoverage');
  process.stdout.write(`\nsurviving mutants (${survivors.length}):\n  ${survivors.join('\n  ')}\n`);
  process.stdout.write(
    `\nmutation score: ${valid ? ((100 * detected) / valid).toFixed(1) : '0.0'}% ` +
      `(killed ${n('Killed')}, timeout ${n('Timeout')}, survived ${n('Survived')}, no coverage ${n('NoCoverage')}, ` +
      `errors ${n('CompileError') + n('RuntimeError')}, ignored ${n('Ignored')}) in ${minutes} min\n`,
  );
  process.exitCode = code ?? 1;
});
