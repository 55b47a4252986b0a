import { watch, readFileSync, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseConfig, type ConfigOverrides, type ManagerConfig } from './config.ts';

export interface ConfigReloadListener {
  accepted(config: ManagerConfig): void;
  rejected(reason: string): void;
}

/**
 * Holds the current configuration and, when it came from a file, reloads it on change: a valid new
 * file replaces it, an invalid one is reported and the old configuration stays in force.
 */
export class ConfigStore {
  private watcher?: FSWatcher;
  private timer?: ReturnType<typeof setTimeout>;

  constructor(
    private config: ManagerConfig,
    private readonly overrides: ConfigOverrides = {},
  ) {}

  current(): ManagerConfig {
    return this.config;
  }

  /** Re-reads the file now; returns whether the new configuration was accepted. */
  reload(listener?: ConfigReloadListener): boolean {
    const file = this.overrides.file;
    if (!file) return false;
    try {
      const next = parseConfig(readFileSync(file, 'utf8'), this.overrides, file);
      this.config = next;
      listener?.accepted(next);
      return true;
    } catch (error) {
      listener?.rejected((error as Error).message);
      return false;
    }
  }

  /**
   * Watches the file's directory (editors and `kubectl`-style tools replace files by rename, which
   * a watch on the file itself would lose) and reloads after `debounceMs` of quiet.
   */
  watch(listener: ConfigReloadListener, debounceMs = 200): void {
    const file = this.overrides.file;
    if (!file || this.watcher) return;
    const path = resolve(file);
    const name = basename(path);
    this.watcher = watch(dirname(path), (_event, changed) => {
      if (changed !== null && changed !== name) return;
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => this.reload(listener), debounceMs);
    });
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }
}
