import { startServer } from './server.ts';

try {
  const running = await startServer(process.env, process.argv.slice(2));
  const shutdown = (signal: string) => {
    console.error(`manager: ${signal}, stopping`);
    running.stop().then(
      () => process.exit(0),
      (error: Error) => {
        console.error(`manager: stop failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
} catch (error) {
  console.error(`manager: cannot start: ${(error as Error).message}`);
  process.exit(1);
}
