// Prints docs/settings.md's settings table from core/config's schema (`npm run settings-table`).
import { settingsTable } from "../core/config/index.js";

console.log(settingsTable());
