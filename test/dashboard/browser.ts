/**
 * Headless Chromium for the dashboard tests (Debian's package, installed by
 * scripts/ensure-chromium.sh), launched as the progress-page test does, plus a visit helper that
 * collects the page's script errors and dialogs.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { expect } from "vitest";

export const SCREENSHOTS = join(fileURLToPath(new URL("../../", import.meta.url)), ".artifacts", "screenshots");

export function launch(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** What a visited page did that a test may want to fail on. */
export interface Visit {
  readonly page: Page;
  /** Script errors and console errors. */
  readonly problems: string[];
  /** Messages of every alert/confirm/prompt the page opened (each is dismissed). */
  readonly dialogs: string[];
  /** Closes the page, checking it logged no script errors beyond `expected`. */
  leave(expected?: RegExp[]): Promise<void>;
}

/** Opens `url` in a fresh context and waits for the live stream to connect. */
export async function visit(browser: Browser, url: string): Promise<Visit> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 820 } })).newPage();
  const problems: string[] = [];
  const dialogs: string[] = [];
  page.on("pageerror", (error) => problems.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(url);
  await page.waitForSelector("#connection.live");
  return {
    page,
    problems,
    dialogs,
    async leave(expected = []) {
      await page.context().close();
      expect(problems.filter((text) => !expected.some((re) => re.test(text)))).toEqual([]);
      expect(dialogs).toEqual([]);
    },
  };
}

/** A screenshot for people to look at, under .artifacts/screenshots/. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, name), fullPage: true });
}
