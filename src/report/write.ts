import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Writes a report file, creating its folder first (`mkdir -p`): `--junit reports/x.xml` in a fresh clone works. */
export function writeReportFile(file: string, text: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, text);
}
