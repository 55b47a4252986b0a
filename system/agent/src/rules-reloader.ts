import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { RulesConfig } from '../../shared/rules-schema.ts';

export interface RulesReloadListener {
  /** A valid file whose rules differ from the ones in force. */
  accepted(rules: RulesConfig): void;
  /** The file could not be read or is invalid: the rules in force stay. */
  rejected(reason: string): void;
}

/**
 * Re-reads the agent's rules when its config file changes, as the manager's ConfigStore does for
 * the same file: both must judge samples by the same thresholds. `load` reads and validates the
 * whole configuration again (file, then env and CLI overrides over it) and throws a ConfigError
 * naming the bad key; a rejected file leaves the rules in force unchanged.
 */
export class RulesReloader {
  private watcher?: FSWatcher;
  private timer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly file: string,
    private readonly load: () => RulesConfig,
    private rules: RulesConfig,
  ) {}

  current(): RulesConfig {
    return this.rules;
  }

  /** Re-reads now; true when new rules were accepted. An unchanged file is no event. */
  reload(listener: RulesReloadListener): boolean {
    let next: RulesConfig;
    try {
      next = this.load();
    } catch (error) {
      listener.rejected((error as Error).message);
      return false;
    }
    if (JSON.stringify(next) === JSON.stringify(this.rules)) return false;
    this.rules = next;
    listener.accepted(next);
    return true;
  }

  /**
   * Watches the file's directory, not the file: editors and config tools replace a file by rename,
   * which a watch on the file itself would lose. Reloads after `debounceMs` of quiet.
   */
  watch(listener: RulesReloadListener, debounceMs = 200): void {
    if (this.watcher) return;
    const path = resolve(this.file);
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
