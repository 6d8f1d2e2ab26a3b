export { type AppContext, type AppContextOptions, createAppContext } from "./app-context.js";
