export { applyRowChanges, type CdcApplyDependencies, type TableOutcome } from "./apply.js";
export { ConnectClient, type ConnectClientOptions, type ConnectorStatus } from "./connect-client.js";
export { buildConnectorConfig, type ConnectorConfigInput, type SnapshotMode } from "./connector-config.js";
export {
  type CdcDependencies,
  type CdcRegistrationSummary,
  type CdcStatus,
  cdcStatus,
  type DisableSummary,
  disableCdc,
  type EnableCdcRequest,
  enableCdc,
  formatLsn,
} from "./enable.js";
export {
  CdcNotEnabledError,
  CdcNotSupportedError,
  CdcTableWithoutKeyError,
  ConnectRequestError,
  ConnectUnavailableError,
} from "./errors.js";
export { type ChangeEventValue, changeEventSchema, type RowChange, toRowChange } from "./events.js";
export { type CdcNames, cdcNames, sourceOfTopicPrefix } from "./names.js";
export { CdcResources } from "./resources.js";
export { type CdcCounts, type CdcProgress, CdcStateStore } from "./state.js";
