import { shutdownTimings, startServer, type RunningServer } from './server.ts';

// Exit with a message before Docker's SIGKILL even if a request hangs: the stop grace period given
// to the task must exceed this (drain + in-flight wait + a margin unless SHUTDOWN_TIMEOUT_MS says).
const HARD_EXIT_MS = shutdownTimings(process.env).hardExitMs;

// No top-level await: the bundle is CommonJS, loaded through a V8 code cache (boot.ts).
function onSignals(server: RunningServer): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      setTimeout(() => {
        console.error(`web-stress: shutdown took longer than ${HARD_EXIT_MS} ms, exiting`);
        process.exit(1);
      }, HARD_EXIT_MS).unref();
      server.shutdown(signal).then(
        () => process.exit(0),
        (error: unknown) => {
          console.error('web-stress: shutdown failed:', error);
          process.exit(1);
        },
      );
    });
  }
}

startServer(process.env).then(onSignals, (error: unknown) => {
  console.error('web-stress: start failed:', error);
  process.exit(1);
});
