import { readFileSync } from 'node:fs';
import { FileWatch } from '../../shared/file-watch.ts';
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
  private readonly fileWatch = new FileWatch();

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

  /** Reloads after `debounceMs` of quiet following a change of the file (FileWatch). */
  watch(listener: ConfigReloadListener, debounceMs = 200): void {
    const file = this.overrides.file;
    if (file) this.fileWatch.start(file, () => this.reload(listener), debounceMs);
  }

  stop(): void {
    this.fileWatch.stop();
  }
}
