/**
 * @runledger/worker: executes run items from BullMQ with retries, timeouts and scoring.
 * `startWorker()` is the entry point; targets and scorers are exported for reuse and tests.
 */

// the request templates live in @runledger/shared (the API renders an item's request too)
export {
  type CompiledTemplate,
  compileTemplate,
  lookupPath,
  renderTemplate,
  renderText,
  scopeOf,
  type TemplateScope,
} from '@runledger/shared';
export {
  CANCELLED_TTL_MS,
  type ChunkOutcome,
  type ChunkProcessorDeps,
  type ChunkTask,
  LocalRuns,
  processChunk,
  RUN_SLOT_EXPIRY_MARGIN_MS,
  RunCancelledError,
} from './chunk-processor.js';
export {
  ClaimLeaseManager,
  type ClaimLeaseOptions,
} from './claim-lease.js';
export {
  AttemptAbort,
  anySignal,
  createSlots,
  Semaphore,
  type Slots,
  sleep,
} from './concurrency.js';
export {
  type AttemptFailure,
  backoffDelay,
  classifyFailure,
  type ExecuteItemOptions,
  executeItem,
  type ItemOutcome,
  MAX_BACKOFF_MS,
  MAX_RETRY_AFTER_MS,
  MAX_RETRY_AFTER_WAITS,
} from './execute-item.js';
export {
  BLOCKED_HOSTNAMES,
  findNotAllowed,
  HttpGuard,
  isPublicAddress,
  TargetNotAllowedError,
} from './http-guard.js';
export {
  costOf,
  loadPriceTable,
  type ModelPrice,
  ModelPriceSchema,
  type PriceTable,
  PriceTableSchema,
  pricedResult,
  WorkerTableError,
} from './prices.js';
export {
  type Admission,
  type AttemptGate,
  type AttemptGateOptions,
  type AttemptTicket,
  createAttemptGate,
  createTargetLimiters,
  loadTargetLimits,
  type TargetLimit,
  TargetLimiter,
  TargetLimitSchema,
  type TargetLimits,
  TargetLimitsSchema,
} from './rate-limits.js';
export {
  type ReconcileReport,
  type Reconciler,
  type ReconcilerOptions,
  startReconciler,
} from './reconciler.js';
export {
  LATENCY_BUCKETS_MS,
  type MetricInput,
  metricIncrements,
  ResultWriter,
} from './result-writer.js';
export {
  builtinScorers,
  containsScorer,
  exactMatchScorer,
  jsonEqual,
  jsonEqualScorer,
  numericCloseScorer,
  regexScorer,
  scoreOutput,
  toItemScore,
  unknownScorers,
} from './scorers.js';
export {
  type AdvertisedTarget,
  buildHttpRequest,
  buildOpenAiRequest,
  builtinTargets,
  checkConfigSchema,
  createBuiltinTargets,
  createHttpTarget,
  createOpenAiTarget,
  DEFAULT_API_KEY_ENV,
  DEFAULT_PROMPT,
  describeTargets,
  echoTarget,
  getPath,
  type HttpTargetConfig,
  HttpTargetConfigSchema,
  type HttpTargetOptions,
  httpTarget,
  isZodSchema,
  type LoadedPlugins,
  loadPluginModules,
  MAX_HTTP_REDIRECTS,
  type OpenAiTargetConfig,
  OpenAiTargetConfigSchema,
  type OpenAiTargetOptions,
  type OutgoingRequest,
  openAiTarget,
  parseConfig,
  parseRetryAfter,
  Registry,
  targetConfig,
} from './targets.js';
export {
  ShutdownError,
  type StartWorkerOptions,
  startWorker,
  type WorkerHandle,
} from './worker.js';
