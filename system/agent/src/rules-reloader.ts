import { FileWatch } from '../../shared/file-watch.ts';
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
  private readonly fileWatch = new FileWatch();

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

  /** Reloads after `debounceMs` of quiet following a change of the file (FileWatch). */
  watch(listener: RulesReloadListener, debounceMs = 200): void {
    this.fileWatch.start(this.file, () => this.reload(listener), debounceMs);
  }

  stop(): void {
    this.fileWatch.stop();
  }
}
