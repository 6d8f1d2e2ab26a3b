export {
  clearHistory,
  type Exchange,
  type HistoryDependencies,
  type HistoryMessage,
  type HistoryPage,
  historyKey,
  readHistory,
  recentTurns,
  saveExchange,
  userNamePattern,
  userNameSchema,
} from "./history.js";
export { buildPrompt, type ChatSource, estimateTokens, type Prompt, type PromptInput, systemPrompt } from "./prompt.js";
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
