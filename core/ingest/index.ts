export {
  countIngestFailure,
  failureEvents,
  type QueueDependencies,
  queueIngestion,
  runEmbeddingRequest,
  runIngestionRequest,
  type WorkerDependencies,
} from "./async.js";
export { IngestTooLargeError } from "./errors.js";
export {
  type IngestDependencies,
  type IngestProgress,
  type IngestRequest,
  type IngestSummary,
  ingestTable,
} from "./pipeline.js";
export { type PreparedChunk, prepareRow } from "./prepare.js";
export { ingestSamplesIfEmpty, sampleIngestions, sampleQuestion } from "./samples.js";
