export { type AppContext, createAppContext } from "./app-context.js";
