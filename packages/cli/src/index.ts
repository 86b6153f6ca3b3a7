/**
 * davsync CLI — public API, for tests and for embedding the same server the
 * `davsync serve` command runs (the binary itself is `bin.ts`).
 *
 * @example
 * import { serve } from 'davsync';
 * const running = await serve({ dir: './data', port: 0, logLevel: 'warn' });
 * console.log(running.url);
 * process.on('SIGTERM', () => void running.close());
 */
export { serve, listeningLine } from './server';
export type { ServeOptions, RunningServer } from './server';
export type { Credentials } from './basic-auth';
export type { LogLevel, Logger } from './log';
export { LOG_LEVELS } from './log';
