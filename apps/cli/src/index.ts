/**
 * The runledger CLI as a library: the HTTP client, dataset files, exit codes and gates, Redis
 * launcher, services and run watcher.
 */
export * from './client.js';
export * from './dataset-file.js';
export * from './experiment.js';
export * from './format.js';
export * from './gates.js';
export {
  CliError,
  type CliIo,
  createProgram,
  isEntryPoint,
  runCli,
  STREAM_THRESHOLD_BYTES,
} from './main.js';
export * from './redis-launcher.js';
export * from './start.js';
export * from './watch.js';
