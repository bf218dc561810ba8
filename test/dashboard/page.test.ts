/**
 * The dashboard in a real browser, over a real process pool in this test process: the handler is
 * mounted under a path prefix in a plain node:http server, as the README shows. Waits are on page
 * state (selectors, functions of the DOM), never on time. Read-only mode is tested over the
 * database backend (database-page.test.ts): the page and the handler are the same.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { dashboardHandler } from "../../src/dashboard/index.ts";
import { closeAll, configure, getBackend, type PoolBackend, type TaskResult } from "../../src/index.ts";
import { echo, held, reconcile, report } from "../fixtures/dashboard/tasks.ts";
import { type Gate, openGate } from "../support/gate.ts";
import { launch, screenshot, visit } from "./browser.ts";

// The page's globals, for the functions that run in the browser (the project's lib has no DOM types).
interface PageElement {
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
}
declare const document: {
  querySelectorAll(selector: string): ArrayLike<PageElement>;
  body: { dataset: Record<string, string | undefined> };
};
declare const window: Record<string, unknown>;

const BASE = "/admin/tasks";

describe("the dashboard page", () => {
  let browser: Browser;
  let gates: Gate;
  let server: Server | null = null;
  let closeHandler: (() => void) | null = null;
  let origin = "";

  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    gates = await openGate();
    configure({
      default: {
        backend: "process-pool",
        queues: ["default", "reports"],
        options: { maxWorkers: 2, cancelGraceMs: 100 },
      },
    });
  });
  afterEach(async () => {
    closeHandler?.();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(null));
    server = null;
    await gates.close();
    await closeAll({ timeoutMs: 5000 });
  });

  const backend = () => getBackend() as PoolBackend;

  /** Serves the dashboard under BASE beside an "app" route, and returns the page's URL. */
  async function serve(options: { readOnly?: boolean } = {}): Promise<string> {
    const dashboard = dashboardHandler({ backend: backend(), basePath: BASE, ...options });
    closeHandler = dashboard.close;
    const app = createServer((req, res) => {
      if (req.url === BASE || req.url?.startsWith(`${BASE}/`)) return dashboard(req, res);
      res.end("the app");
    });
    server = app;
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    return `${origin}${BASE}`;
  }

  const row = (id: string) => `#results tbody tr[data-id="${id}"]`;
  /** Waits until the list shows exactly `ids`, in this order. */
  const listShows = (page: Page, ids: string[]) =>
    page.waitForFunction(
      (want) =>
        Array.from(document.querySelectorAll("#results tbody tr"), (r) => r.getAttribute("data-id")).join() === want,
      ids.join(),
    );

  it("lists enqueued tasks newest first, and a task finishing turns SUCCESSFUL on screen without a reload", async () => {
    const waiting = await held.enqueue(gates.url("one"), "one");
    const done = await echo.enqueue({ greeting: "hello" });
    await done.wait({ timeoutMs: 20_000 });
    await gates.arrived("one");

    const { page, leave } = await visit(browser, await serve());
    expect(page.url()).toBe(`${origin}${BASE}/`); // the bare prefix redirects to the page
    await listShows(page, [done.id, waiting.id]);
    await page.waitForSelector(`${row(waiting.id)}[data-status="RUNNING"]`);
    expect(await page.textContent(`${row(waiting.id)} .progress`)).toBe("1/3 waiting at the gate");
    expect(await page.textContent(`${row(done.id)} .status`)).toBe("SUCCESSFUL");
    expect(await page.textContent('#counts tfoot tr[data-queue=""] td.total')).toBe("2");
    await page.evaluate(() => {
      document.body.dataset.visit = "still the first load";
    });
    await screenshot(page, "dashboard-running.png");

    gates.release("one");
    await page.waitForSelector(`${row(waiting.id)}[data-status="SUCCESSFUL"]`, { timeout: 20_000 });
    expect(await page.evaluate(() => document.body.dataset.visit)).toBe("still the first load");
    // A task enqueued after the page loaded appears too, at the top.
    const later = await echo.enqueue("later");
    await listShows(page, [later.id, done.id, waiting.id]);
    await page.waitForSelector(`${row(later.id)}[data-status="SUCCESSFUL"]`, { timeout: 20_000 });
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll("#counts tfoot td.num button")).some((b) => b.textContent === "3"),
    );
    await page.click(`${row(waiting.id)} td.id`);
    await page.waitForSelector("#detail:not([hidden]) pre.json");
    expect(await page.textContent("#detail-body pre.json >> nth=1")).toBe('"one"');
    await screenshot(page, "dashboard-detail.png");
    await leave();
  }, 60_000);

  it("narrows the list by status, queue, task and id", async () => {
    const results: TaskResult[] = [
      await echo.enqueue(1),
      await report.enqueue("2025-01"),
      await reconcile.enqueue("ACME-42"),
      await echo.enqueue(2),
    ];
    await Promise.all(results.map((r) => r.wait({ timeoutMs: 20_000 })));
    const [one, monthly, failed, two] = results as [TaskResult, TaskResult, TaskResult, TaskResult];
    const { page, leave } = await visit(browser, await serve());
    await listShows(page, [two.id, failed.id, monthly.id, one.id]);

    await page.selectOption("#filters select[name=status]", "FAILED");
    await listShows(page, [failed.id]);
    expect(await page.textContent(`${row(failed.id)} .error-line`)).toBe(
      "LedgerMismatch: account ACME-42 is off by 3 cents",
    );
    await screenshot(page, "dashboard-filter-failed.png");

    await page.selectOption("#filters select[name=status]", "");
    await page.selectOption("#filters select[name=queue]", "reports");
    await listShows(page, [monthly.id]);

    await page.click("#clear-filters");
    await listShows(page, [two.id, failed.id, monthly.id, one.id]);
    await page.click(`${row(one.id)} .task-name`); // a task's name filters by it
    await listShows(page, [two.id, one.id]);
    expect(await page.inputValue("#filters input[name=task]")).toBe(echo.modulePath);

    await page.click("#clear-filters");
    await page.fill("#filters input[name=id]", two.id.slice(9, 18));
    await listShows(page, [two.id]);

    // A count is a shortcut to its filter.
    await page.click("#clear-filters");
    await page.click('#counts tbody tr[data-queue="default"] button.s-SUCCESSFUL');
    await listShows(page, [two.id, one.id]);
    await leave();
  }, 60_000);

  it("cancels a running task and re-enqueues a failed one, and the backend reflects both", async () => {
    const running = await held.enqueue(gates.url("stuck"), "stuck");
    const failed = await reconcile.enqueue("ACME-7");
    await failed.wait({ timeoutMs: 20_000 });
    await gates.arrived("stuck");
    const { page, leave } = await visit(browser, await serve());
    await page.waitForSelector(`${row(running.id)}[data-status="RUNNING"]`);

    await page.click(`${row(running.id)} button[data-action=cancel]`);
    await page.waitForSelector(`${row(running.id)}[data-status="FAILED"]`, { timeout: 20_000 });
    // The live feed may redraw the row before the POST's answer shows its message.
    await page.waitForFunction(
      (id) => document.querySelectorAll("#message")[0]?.textContent === `Cancelled ${id}`,
      running.id,
    );
    const cancelled = await backend().getResult(running.id);
    expect(cancelled.status).toBe("FAILED");
    expect(cancelled.errors.at(-1)?.exceptionClassPath).toBe("TaskCancelled");
    expect(await page.textContent(`${row(running.id)} .error-line`)).toBe(
      "TaskCancelled: Task was cancelled: cancelled from the dashboard",
    );

    await page.click(`${row(failed.id)} button[data-action=reenqueue]`);
    await page.waitForFunction(() =>
      /^Re-enqueued \S+ as \S+$/.test(document.querySelectorAll("#message")[0]?.textContent ?? ""),
    );
    const newId = ((await page.textContent("#message")) ?? "").split(" as ")[1] ?? "";
    const again = await backend().getResult(newId);
    expect(again.task.modulePath).toBe(reconcile.modulePath);
    expect(again.args).toEqual(["ACME-7"]);
    await again.wait({ timeoutMs: 20_000 });
    expect(again.status).toBe("FAILED");
    await page.waitForSelector(`${row(newId)}[data-status="FAILED"]`, { timeout: 20_000 });
    expect(await page.getAttribute(`${row(newId)} td.id span`, "title")).toBe(`re-enqueue of ${failed.id}`);

    await page.click(`${row(failed.id)} td.id`);
    await page.waitForSelector("#detail:not([hidden])");
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll("#detail dt")).some((dt) => dt.textContent === "Re-enqueued as"),
    );
    expect(await page.textContent("#detail dd a")).toBe(newId);
    await screenshot(page, "dashboard-actions.png");
    await leave();
  }, 60_000);

  it("shows markup in arguments and errors as text: nothing runs", async () => {
    const payloads = ["<script>alert(1)</script>", '<img src=x onerror="window.__xss = 1">'];
    const echoed = await echo.enqueue(payloads);
    const failed = await reconcile.enqueue('<img src=x onerror="alert(2)">');
    await Promise.all([echoed.wait({ timeoutMs: 20_000 }), failed.wait({ timeoutMs: 20_000 })]);
    const { page, leave } = await visit(browser, await serve());
    await page.waitForSelector(`${row(failed.id)}[data-status="FAILED"]`);
    expect(await page.textContent(`${row(failed.id)} .error-line`)).toBe(
      'LedgerMismatch: account <img src=x onerror="alert(2)"> is off by 3 cents',
    );

    await page.click(`${row(echoed.id)} td.id`);
    await page.waitForSelector("#detail:not([hidden]) pre.json");
    expect(JSON.parse((await page.textContent("#detail-body pre.json")) ?? "null")).toEqual([payloads]);
    expect(await page.isVisible("text=<script>alert(1)</script>")).toBe(true);
    await page.click(`${row(failed.id)} td.id`);
    await page.waitForSelector("#detail details.error pre");
    expect(await page.textContent("#detail details.error summary")).toContain('<img src=x onerror="alert(2)">');

    expect(await page.locator("img, #results script, #detail script").count()).toBe(0);
    expect(await page.evaluate(() => window.__xss)).toBeUndefined();
    await screenshot(page, "dashboard-xss.png");
    await leave(); // and no dialog opened
  }, 60_000);
});
