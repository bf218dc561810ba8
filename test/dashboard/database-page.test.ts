/**
 * The dashboard over the database backend, as a user runs it: a real SQLite file, `tasklane
 * dashboard` and `tasklane worker` as separate child processes (the built CLI), this test process
 * enqueueing through its own backend, and the page in headless Chromium. What the page shows of
 * another process's work arrives through the dashboard's poll of the database, without a reload.
 * Waits are on page state and on the database, never on time.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { DatabaseBackend } from "../../src/backends/database.ts";
import { closeAll, getBackend, type TaskResult } from "../../src/index.ts";
import { cli, type Database, type Run, tempDatabase, until, worker } from "../db/support.ts";
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

describe("the dashboard over the database backend", () => {
  let browser: Browser;
  let db: Database;
  let gates: Gate;
  const runs: Run[] = [];

  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    // A short lease: a worker checks for cancel requests at least every second, and within leaseMs / 3.
    db = tempDatabase({ leaseMs: 3000, cancelGraceMs: 200 });
    db.use();
    gates = await openGate();
  });
  afterEach(async () => {
    for (const run of runs.splice(0)) {
      run.child.kill("SIGTERM");
      await run.exited;
    }
    await gates.close();
    await closeAll({ timeoutMs: 0 });
    db.remove();
  });

  const store = () => (getBackend() as DatabaseBackend).store();

  /** Starts `tasklane dashboard` on a free port and returns the page's URL. */
  async function dashboard(args: readonly string[] = []): Promise<string> {
    const run = cli(["dashboard", "--config", db.config, "--port", "0", ...args], db.dir);
    runs.push(run);
    let url = "";
    await until(() => {
      url = /on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(run.stdout())?.[1] ?? "";
      return url !== "" || run.child.exitCode !== null;
    }, "the dashboard to serve");
    if (url === "") throw new Error(`tasklane dashboard exited:\n${run.stdout()}${run.stderr()}`);
    return url;
  }

  function startWorker(): Run {
    const run = worker(db, ["--queue-name", "*", "--concurrency", "2"]);
    runs.push(run);
    return run;
  }

  /** Runs everything READY in a worker of its own until none is left. */
  async function drain(): Promise<void> {
    const run = worker(db, ["--queue-name", "*", "--batch"]);
    expect((await run.exited).code).toBe(0);
  }

  const row = (id: string) => `#results tbody tr[data-id="${id}"]`;
  const listShows = (page: Page, ids: string[]) =>
    page.waitForFunction(
      (want) =>
        Array.from(document.querySelectorAll("#results tbody tr"), (r) => r.getAttribute("data-id")).join() === want,
      ids.join(),
    );

  it("lists enqueued tasks; what a separate worker runs turns RUNNING, then SUCCESSFUL, without a reload", async () => {
    const first = await echo.enqueue({ greeting: "hello" });
    const slow = await held.enqueue(gates.url("slow"), "slow");
    const { page, leave } = await visit(browser, await dashboard());
    await listShows(page, [slow.id, first.id]);
    expect(await page.textContent(`${row(first.id)} .status`)).toBe("READY");
    expect(await page.textContent('#counts tfoot tr[data-queue=""] td.total')).toBe("2");
    expect(await page.textContent("#scope")).toContain("every row in the database of backend 'default'");
    await page.evaluate(() => {
      document.body.dataset.visit = "still the first load";
    });

    startWorker();
    await gates.arrived("slow");
    await page.waitForSelector(`${row(first.id)}[data-status="SUCCESSFUL"]`, { timeout: 30_000 });
    await page.waitForSelector(`${row(slow.id)}[data-status="RUNNING"]`, { timeout: 30_000 });
    await page.waitForFunction(
      (selector) => document.querySelectorAll(selector)[0]?.textContent === "1/3 waiting at the gate",
      `${row(slow.id)} .progress`,
      { timeout: 30_000 },
    );
    // A task enqueued after the page loaded, by another process, appears at the top.
    const later = await report.enqueue("2025-02");
    await listShows(page, [later.id, slow.id, first.id]);
    await page.waitForSelector(`${row(later.id)}[data-status="SUCCESSFUL"]`, { timeout: 30_000 });
    await screenshot(page, "dashboard-database.png");

    gates.release("slow");
    await page.waitForSelector(`${row(slow.id)}[data-status="SUCCESSFUL"]`, { timeout: 30_000 });
    expect(await page.evaluate(() => document.body.dataset.visit)).toBe("still the first load");
    const worked = (await store()).get(slow.id);
    expect((await worked)?.workerIds).toHaveLength(1);
    await page.click(`${row(slow.id)} td.id`);
    await page.waitForSelector("#detail:not([hidden]) pre.json");
    expect(await page.textContent("#detail-body pre.json >> nth=1")).toBe('"slow"');
    await leave();
  }, 90_000);

  it("narrows the list by status, queue, task and id, and shows markup in arguments as text", async () => {
    const payloads = ["<script>alert(1)</script>", '<img src=x onerror="window.__xss = 1">'];
    const results: TaskResult[] = [
      await echo.enqueue(payloads),
      await report.enqueue("2025-01"),
      await reconcile.enqueue('<img src=x onerror="alert(2)">'),
      await echo.enqueue(2),
    ];
    await drain();
    const [marked, monthly, failed, two] = results as [TaskResult, TaskResult, TaskResult, TaskResult];
    const { page, leave } = await visit(browser, await dashboard());
    await listShows(page, [two.id, failed.id, monthly.id, marked.id]);
    expect(await page.textContent(`${row(monthly.id)} .status`)).toBe("SUCCESSFUL");

    await page.selectOption("#filters select[name=status]", "FAILED");
    await listShows(page, [failed.id]);
    expect(await page.textContent(`${row(failed.id)} .error-line`)).toBe(
      'LedgerMismatch: account <img src=x onerror="alert(2)"> is off by 3 cents',
    );
    await page.selectOption("#filters select[name=status]", "");
    await page.selectOption("#filters select[name=queue]", "reports");
    await listShows(page, [monthly.id]);
    await page.click("#clear-filters");
    await page.click(`${row(two.id)} .task-name`); // a task's name filters by it
    await listShows(page, [two.id, marked.id]);
    await page.click("#clear-filters");
    await page.fill("#filters input[name=id]", two.id.slice(9, 18));
    await listShows(page, [two.id]);
    await page.click("#clear-filters");
    await page.click('#counts tbody tr[data-queue="default"] button.s-SUCCESSFUL');
    await listShows(page, [two.id, marked.id]);

    await page.click(`${row(marked.id)} td.id`);
    await page.waitForSelector("#detail:not([hidden]) pre.json");
    expect(JSON.parse((await page.textContent("#detail-body pre.json")) ?? "null")).toEqual([payloads]);
    expect(await page.isVisible("text=<script>alert(1)</script>")).toBe(true);
    expect(await page.locator("img, #results script, #detail script").count()).toBe(0);
    expect(await page.evaluate(() => window.__xss)).toBeUndefined();
    await leave(); // and no dialog opened
  }, 90_000);

  it("cancels a READY and a RUNNING task and re-enqueues a FAILED one, as the database then shows", async () => {
    const failed = await reconcile.enqueue("ACME-7");
    await drain();
    const running = await held.enqueue(gates.url("stuck"), "stuck");
    startWorker();
    await gates.arrived("stuck");
    // Due in an hour: it stays READY while the worker runs.
    const waiting = await echo.using({ runAfter: new Date(Date.now() + 3_600_000) }).enqueue("later");
    const { page, leave } = await visit(browser, await dashboard());
    await page.waitForSelector(`${row(running.id)}[data-status="RUNNING"]`);

    await page.click(`${row(waiting.id)} button[data-action=cancel]`);
    await page.waitForSelector(`${row(waiting.id)}[data-status="FAILED"]`, { timeout: 20_000 });
    expect((await (await store()).get(waiting.id))?.errors.at(-1)?.exceptionClassPath).toBe("TaskCancelled");

    await page.click(`${row(running.id)} button[data-action=cancel]`);
    await page.waitForFunction(
      (id) =>
        document.querySelectorAll("#message")[0]?.textContent === `Cancel requested for ${id}: its worker will stop it`,
      running.id,
    );
    // The worker stops it and records it; the page learns that from the database.
    await page.waitForSelector(`${row(running.id)}[data-status="FAILED"]`, { timeout: 30_000 });
    const stopped = await (await store()).get(running.id);
    expect(stopped).toMatchObject({ status: "FAILED", lockedBy: null });
    expect(stopped?.errors.at(-1)?.exceptionClassPath).toBe("TaskCancelled");
    expect(await page.textContent(`${row(running.id)} .error-line`)).toBe(
      "TaskCancelled: Task was cancelled: cancelled from the dashboard",
    );

    await page.click(`${row(failed.id)} button[data-action=reenqueue]`);
    await page.waitForFunction(() =>
      /^Re-enqueued \S+ as \S+$/.test(document.querySelectorAll("#message")[0]?.textContent ?? ""),
    );
    const newId = ((await page.textContent("#message")) ?? "").split(" as ")[1] ?? "";
    const copy = await (await store()).get(newId);
    expect(copy).toMatchObject({ taskPath: reconcile.modulePath, args: ["ACME-7"], reenqueuedFrom: failed.id });
    expect((await (await store()).get(failed.id))?.reenqueuedAs).toBe(newId);
    // The running worker picks the copy up; it fails again, on screen.
    await page.waitForSelector(`${row(newId)}[data-status="FAILED"]`, { timeout: 30_000 });
    expect(await page.getAttribute(`${row(newId)} td.id span`, "title")).toBe(`re-enqueue of ${failed.id}`);
    expect(await page.locator(`${row(failed.id)} button[data-action=reenqueue]`).count()).toBe(0);
    await page.click(`${row(failed.id)} td.id`);
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll("#detail dt")).some((dt) => dt.textContent === "Re-enqueued as"),
    );
    expect(await page.textContent("#detail dd a")).toBe(newId);
    await leave();
  }, 90_000);

  it("--read-only hides the actions, and the server refuses them", async () => {
    const failed = await reconcile.enqueue("ACME-9");
    await drain();
    const waiting = await echo.enqueue("stays");
    const url = await dashboard(["--read-only"]);
    const { page, leave } = await visit(browser, url);
    await page.waitForSelector(`${row(failed.id)}[data-status="FAILED"]`);
    await page.waitForSelector(`${row(waiting.id)}[data-status="READY"]`);
    expect(await page.isVisible("#read-only")).toBe(true);
    expect(await page.locator("button.act").count()).toBe(0);
    await page.click(`${row(failed.id)} td.id`);
    await page.waitForSelector("#detail:not([hidden]) pre.json");
    expect(await page.locator("#detail button.act").count()).toBe(0);

    const csrf = await page.getAttribute('meta[name="tasklane-csrf"]', "content");
    for (const action of [`${waiting.id}/cancel`, `${failed.id}/reenqueue`]) {
      const response = await fetch(`${url}api/results/${action}`, {
        method: "POST",
        headers: { "X-Tasklane-CSRF": csrf ?? "" },
      });
      expect(response.status).toBe(403);
    }
    expect(await (await store()).get(waiting.id)).toMatchObject({ status: "READY" });
    expect((await (await store()).list({ limit: 10 })).rows).toHaveLength(2);
    await leave();
  }, 90_000);
});
