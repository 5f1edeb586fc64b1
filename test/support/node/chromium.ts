import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";

/** The system's Chromium, headless, with nothing of its own reaching the network. */
function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** Chromium for the calling test file: launched before its tests, closed after them. */
export function chromiumForThisFile(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error("Chromium is launched in beforeAll: call this inside a test");
    return browser;
  };
}

/**
 * Collects what goes wrong on `page` from now on: uncaught errors, console errors (CSP violations among them)
 * and answers of 400 or above. The array fills as the page runs.
 */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("response", (answer) => {
    if (answer.status() >= 400) errors.push(`${answer.status()} for ${answer.url()}`);
  });
  return errors;
}
