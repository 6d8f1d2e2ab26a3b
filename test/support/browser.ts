import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

/**
 * Debian's Chromium (scripts/services/browser.sh installs it): playwright's own browser
 * download cannot reach its CDN here. The flags keep it from phoning home while headless.
 */
export const chromiumPath = process.env.TEST_CHROMIUM_PATH ?? "/usr/bin/chromium";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * Screenshots under .services/ (git-ignored), numbered in the order a test takes them. The
 * folder is emptied first, so what is there is one run's pictures, never a mix of runs.
 */
export function screenshotFolder(name: string): (page: Page, step: string) => Promise<void> {
  const folder = path.resolve(import.meta.dirname, "../../.services/screenshots", name);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  let count = 0;
  return async (page, step) => {
    count += 1;
    await page.screenshot({ path: path.join(folder, `${String(count).padStart(2, "0")}-${step}.png`), fullPage: true });
  };
}
