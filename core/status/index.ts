export { type BatchState, type BatchStatus, type BatchStatusOptions, BatchStatusStore } from "./batch-status.js";
