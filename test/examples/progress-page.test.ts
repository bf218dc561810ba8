/**
 * The progress page in a real browser: headless Chromium (Debian's package, installed by
 * scripts/ensure-chromium.sh) driven by playwright-core. Waits are on page state, never on time.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Example, expectNoLeftovers, ROOT, startExample } from "./support.ts";

const SCREENSHOTS = join(ROOT, ".artifacts", "screenshots");

// The page's globals, for the functions that run in the browser: the project's lib has no DOM types,
// and adding them would let DOM names slip into src/ unnoticed.
interface PageElement {
  readonly dataset: Record<string, string | undefined>;
  readonly textContent: string | null;
  querySelector(selector: string): PageElement | null;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): { readonly length: number };
  getAnimations(): unknown[];
};

describe("examples/progress-page", () => {
  let browser: Browser;
  let server: Example | null = null;
  let url = "";

  beforeAll(async () => {
    browser = await chromium.launch({
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
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function startServer(): Promise<void> {
    server = startExample(["examples/progress-page/server.mjs", "0"]);
    [, url = ""] = await server.output(/Listening on (http:\/\/127\.0\.0\.1:\d+)/);
  }
  afterEach(async () => {
    if (!server) return;
    // Running jobs and all: SIGTERM ends the streams and the pool, and the server exits 0.
    expect(await server.stop("SIGTERM")).toEqual({ code: 0, signal: null });
    expect(server.stderr()).toBe("");
    await expectNoLeftovers(server.pid);
    server = null;
  });

  const problems = new WeakMap<Page, string[]>();

  /** A fresh visitor (its own cookie) with the page open and its event stream connected. */
  async function visit(): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 900, height: 760 } })).newPage();
    const seen: string[] = [];
    problems.set(page, seen);
    page.on("pageerror", (error) => seen.push(String(error)));
    page.on("console", (message) => {
      if (message.type() === "error") seen.push(message.text());
    });
    await page.goto(url);
    await page.waitForSelector("#connection.live");
    return page;
  }

  /** Closes a page after checking it logged no script errors (beyond the expected ones). */
  async function leave(page: Page, expected: RegExp[] = []): Promise<void> {
    const unexpected = (problems.get(page) ?? []).filter((text) => !expected.some((re) => re.test(text)));
    await page.context().close();
    expect(unexpected).toEqual([]);
  }

  const jobStatuses = (page: Page) =>
    page.$$eval("li.job", (items) =>
      (items as unknown as PageElement[]).map(
        (li) => `${li.querySelector(".name")?.textContent}: ${li.dataset.status}`,
      ),
    );

  /**
   * Saves a screenshot for people to look at. `settled` waits for the bars' CSS transitions to end
   * first, so finished bars look full; only for a still page, as running bars keep restarting them.
   */
  async function screenshot(page: Page, name: string, settled = false): Promise<void> {
    if (settled) await page.waitForFunction(() => document.getAnimations().length === 0);
    await page.screenshot({ path: join(SCREENSHOTS, name), fullPage: true });
  }

  it("shows a bar per job, the fifth waiting while four run, all reaching 100%, and keeps them across a reload", async () => {
    await startServer();
    const page = await visit();
    for (let i = 0; i < 5; i++) await page.click("#start-short");
    await page.waitForFunction(() => document.querySelectorAll("li.job").length === 5);

    // maxWorkers is 4: at some point four run and job 5 waits for a free worker.
    await page.waitForFunction(
      () =>
        document.querySelectorAll('li.job[data-status="running"]').length === 4 &&
        document.querySelector('li.job[data-no="5"]')?.dataset.status === "waiting",
    );
    expect(await page.textContent('li.job[data-no="5"] .status')).toBe("waiting for a free worker");
    expect(await page.textContent("#counts")).toBe("4 running · 1 waiting · 0 done");
    await screenshot(page, "progress-page-waiting.png");

    await page.waitForFunction(() => document.querySelectorAll('li.job[data-status="done"]').length === 5, null, {
      timeout: 25_000,
    });
    expect(await page.$$eval("li.job .percent", (els) => els.map((el) => el.textContent))).toEqual(
      Array(5).fill("100%"),
    );
    expect(await page.textContent("#counts")).toBe("0 running · 0 waiting · 5 done");
    await screenshot(page, "progress-page-done.png", true);

    // A reload opens a new event stream; the server replays the jobs it remembers for this visitor.
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('li.job[data-status="done"]').length === 5);
    expect(await jobStatuses(page)).toEqual([1, 2, 3, 4, 5].map((n) => `Job ${n}: done`));
    await leave(page);
  }, 45_000);

  it("refuses an eleventh active job with a message on the page, and a reload mid-run keeps the running bars", async () => {
    await startServer();
    const page = await visit();
    // Long jobs, so all ten are still active when the eleventh is asked for.
    for (let i = 0; i < 11; i++) await page.click("#start-long");
    await page.waitForSelector("#message:not([hidden])");
    expect(await page.textContent("#message")).toBe(
      "You already have 10 jobs waiting or running, the most one visitor may have. Start more when some have finished.",
    );
    await page.waitForFunction(() => document.querySelectorAll("li.job").length === 10);
    await page.waitForFunction(() => document.querySelectorAll('li.job[data-status="running"]').length === 4);
    await screenshot(page, "progress-page-limit.png");

    // Another visitor is not affected by the first one's limit.
    const other = await visit();
    await other.click("#start-short");
    await other.waitForFunction(() => document.querySelectorAll("li.job").length === 1);
    expect(await other.isHidden("#message")).toBe(true);
    await leave(other);

    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll("li.job").length === 10);
    const statuses = await jobStatuses(page);
    expect(statuses.map((s) => s.split(":")[0])).toEqual(Array.from({ length: 10 }, (_, i) => `Job ${i + 1} (long)`));
    expect(statuses.filter((s) => s.endsWith("waiting")).length).toBeGreaterThan(0);
    expect(await page.isHidden("#message")).toBe(true);
    // The browser logs the refused POST as a failed resource load; that refusal is the point here.
    await leave(page, [/status of 429 \(Too Many Requests\)/]);
  }, 45_000);

  it("takes the refusal message down once the visitor's jobs finish", async () => {
    await startServer();
    const page = await visit();
    // Four long jobs take the pool's four workers, so the short ones wait behind them and all ten
    // are still active at the eleventh click, however slowly a loaded machine clicks (ten short
    // ones alone: the first could finish before the eleventh click, and nothing is refused).
    for (let i = 0; i < 4; i++) await page.click("#start-long");
    for (let i = 0; i < 7; i++) await page.click("#start-short");
    await page.waitForSelector("#message:not([hidden])");
    expect(await page.textContent("#message")).toContain("You already have 10 jobs waiting or running");
    await page.waitForFunction(() => document.querySelectorAll('li.job[data-status="done"]').length === 10, null, {
      timeout: 80_000,
    });
    await page.waitForSelector("#message", { state: "hidden" });
    expect(await page.textContent("#counts")).toBe("0 running · 0 waiting · 10 done");
    await leave(page, [/status of 429 \(Too Many Requests\)/]);
  }, 90_000);

  it("answers bad requests with a message", async () => {
    await startServer();
    const noCookie = await fetch(`${url}/jobs`, { method: "POST", body: '{"kind":"short"}' });
    expect(noCookie.status).toBe(400);
    expect(await noCookie.json()).toEqual({ error: "No visitor cookie: reload the page." });

    const cookie = (await fetch(url)).headers.get("set-cookie")?.split(";")[0] ?? "";
    expect(cookie).toMatch(/^tl_client=[0-9a-f-]{36}$/);
    const badKind = await fetch(`${url}/jobs`, { method: "POST", headers: { cookie }, body: '{"kind":"huge"}' });
    expect(badKind.status).toBe(400);
    expect(((await badKind.json()) as { error: string }).error).toContain('{"kind": "short"}');
    expect((await fetch(`${url}/events`)).status).toBe(400);

    // Streams that go away are forgotten: more reconnections than the tab limit (5) all get their snapshot.
    for (let i = 0; i < 10; i++) {
      const controller = new AbortController();
      const events = await fetch(`${url}/events`, { headers: { cookie }, signal: controller.signal });
      const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!text.includes("event: ")) text += (await reader.read()).value ?? "";
      expect(text, `connection ${i + 1}`).toContain("event: snapshot");
      controller.abort();
    }
    expect((await fetch(`${url}/nowhere`)).status).toBe(404);
  });

  it("caps the active jobs of all visitors together", async () => {
    await startServer();
    const statuses: number[] = [];
    // Five visitors with ten long jobs each: the pool may hold 40 at once, so ten are refused.
    for (let visitor = 0; visitor < 5; visitor++) {
      const cookie = (await fetch(url)).headers.get("set-cookie")?.split(";")[0] ?? "";
      for (let i = 0; i < 10; i++) {
        const response = await fetch(`${url}/jobs`, { method: "POST", headers: { cookie }, body: '{"kind":"long"}' });
        statuses.push(response.status);
        if (response.status === 503) {
          expect(((await response.json()) as { error: string }).error).toBe(
            "The server is running its maximum of 40 jobs for everyone; try again shortly.",
          );
        } else {
          await response.body?.cancel();
        }
      }
    }
    expect(statuses.filter((s) => s === 202)).toHaveLength(40);
    expect(statuses.filter((s) => s === 503)).toHaveLength(10);
  });
});
