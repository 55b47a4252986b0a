import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

/**
 * Calls `onChange` after `debounceMs` of quiet following a change of `file`. It watches the file's
 * directory, not the file: editors and config tools replace a file by rename, which a watch on the
 * file itself would lose.
 */
export class FileWatch {
  private watcher?: FSWatcher;
  private timer?: ReturnType<typeof setTimeout>;

  get active(): boolean {
    return this.watcher !== undefined;
  }

  start(file: string, onChange: () => void, debounceMs = 200): void {
    if (this.watcher) return;
    const path = resolve(file);
    const name = basename(path);
    this.watcher = watch(dirname(path), (_event, changed) => {
      if (changed !== null && changed !== name) return;
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(onChange, debounceMs);
    });
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }
}
