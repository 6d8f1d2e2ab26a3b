export {
  clearHistory,
  type Exchange,
  type HistoryDependencies,
  type HistoryMessage,
  type HistoryPage,
  historyKey,
  readHistory,
  recentTurns,
  type StoredToolCall,
  saveExchange,
  storedQueryRows,
  userNamePattern,
  userNameSchema,
} from "./history.js";
export {
  buildPrompt,
  type ChatSource,
  estimateTokens,
  type Prompt,
  type PromptInput,
  systemPrompt,
  toolSystemPrompt,
} from "./prompt.js";
export { maxQueryableTables, type QueryableTable } from "./queryable.js";
export {
  answer,
  type ChatAnswer,
  type ChatDependencies,
  type ChatRequest,
  type ChatStreamEvent,
  type ChatTimings,
  type ConversationTurn,
  noDocumentsAnswer,
  type PreparedChat,
  prepareChat,
  streamAnswer,
} from "./rag.js";
export { type ToolLoopEvent, toolLimitAnswer } from "./tool-loop.js";
export { type ChatQueryResult, type ChatToolCall, toolRowsShown } from "./tools.js";
