import { startServer, type RunningServer } from './server.ts';

// Docker's default stop grace period is 10 s; exit well before SIGKILL even if a request hangs.
const HARD_EXIT_MS = Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 8000);

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
