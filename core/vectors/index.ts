export { type ChromaSettings, createChromaClient } from "./chroma-client.js";
