import { statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { apiModules } from './apis';
import type { MockApp } from './app';
import { loadApi } from './engine/load-api';

/** Edits arrive as bursts of events (an editor writes, renames, touches): reload once they settle. */
const SETTLE_MS = 150;

/**
 * `--watch`: reloads an API when its fixture file or its spec changes. A good edit replaces the API
 * in place, resets that API's state in every session to the new fixture, and is logged; a broken
 * one is reported and the last good version keeps serving. Returns a function that stops watching.
 */
export function watchConfig(mock: MockApp, onReload: (api: string, error?: Error) => void = () => undefined): () => void {
  const { options, logger } = mock;
  // Every folder to watch, with the file names in it that belong to which API.
  const folders = new Map<string, Map<string, string>>();
  const add = (dir: string, name: string, api: string) => {
    const names = folders.get(dir) ?? new Map<string, string>();
    names.set(name, api);
    folders.set(dir, names);
  };
  /** Every file watched for `api` (read once per reload). */
  const filesOf = (api: string) => [...folders].flatMap(([dir, names]) => [...names].filter(([, owner]) => owner === api).map(([name]) => path.join(dir, name)));
  for (const api of mock.engines.keys()) {
    const file = options.fixtureFiles[api];
    if (file !== undefined) add(path.dirname(path.resolve(file)), path.basename(file), api);
    else for (const ext of ['.yaml', '.yml']) add(path.resolve(options.fixturesDir), `${api}${ext}`, api);
    for (const ext of ['.yaml', '.yml']) add(path.resolve(options.specDir), `${api}${ext}`, api);
  }

  const timers = new Map<string, NodeJS.Timeout>();
  const running = new Map<string, Promise<void>>();
  const reload = async (api: string): Promise<void> => {
    const module = apiModules.find((m) => m.id === api)!;
    const engine = mock.engines.get(api)!;
    try {
      const fresh = await loadApi(module, options, mock.state, logger, mock.keys);
      engine.adopt(fresh);
      if (await mock.state.resetApiEverywhere(api, versionOf(filesOf(api)))) {
        logger.info(`watch: reloaded ${api}; its state in every session is reset to the new fixture`);
      } else {
        logger.info(`watch: reloaded ${api}; its state was reset for this version by another instance sharing the store`);
      }
      onReload(api);
    } catch (err) {
      logger.error(`watch: ${api} not reloaded, the last good version keeps serving: ${(err as Error).message}`);
      onReload(api, err as Error);
    }
  };
  const schedule = (api: string) => {
    clearTimeout(timers.get(api));
    timers.set(
      api,
      setTimeout(() => {
        timers.delete(api);
        // One reload at a time per API, in the order of the edits.
        const next = (running.get(api) ?? Promise.resolve()).then(() => reload(api));
        running.set(api, next);
      }, SETTLE_MS),
    );
  };

  const watchers: FSWatcher[] = [];
  for (const [dir, names] of folders) {
    try {
      const watcher = watch(dir, (_event, filename) => {
        const api = filename !== null ? names.get(path.basename(filename.toString())) : undefined;
        if (api !== undefined) schedule(api);
      });
      watcher.on('error', (err) => logger.error(`watch: ${dir}: ${err.message}`));
      watchers.push(watcher);
    } catch (err) {
      logger.error(`watch: cannot watch ${dir}: ${(err as Error).message}`);
    }
  }
  logger.info(`watch: watching ${[...folders.keys()].join(', ')} for fixture and spec changes`);
  return () => {
    for (const watcher of watchers) watcher.close();
    for (const timer of timers.values()) clearTimeout(timer);
  };
}

/** The version of an API's files: each one's size and modification time (or its absence). */
function versionOf(files: string[]): string {
  return files
    .map((file) => {
      try {
        const { size, mtimeMs } = statSync(file);
        return `${file}:${size}:${mtimeMs}`;
      } catch {
        return `${file}:-`;
      }
    })
    .join('\n');
}
