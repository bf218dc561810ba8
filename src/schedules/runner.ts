import { activeLogger } from "../log.ts";
import { type AnyTask, enqueueTask, type UsingOptions } from "../task.ts";
import { type Clock, systemClock, type TimerHandle } from "./clock.ts";
import type { Schedule } from "./declaration.ts";
import type { SlotLedger, SlotOutcome } from "./ledger.ts";
import { tagSlot } from "./slot-tag.ts";
import { dueSlots, latestSlot, MAX_SLOTS_PER_CALL, nextSlot, ON_TIME_MS } from "./slots.ts";

/** A schedule as a runner evaluates it: on which backend alias its slots go, and which ledger records them. */
export interface ScheduledOn {
  readonly alias: string;
  readonly schedule: Schedule;
  readonly ledger: SlotLedger;
}

/** Options of `new ScheduleRunner()`. */
export interface ScheduleRunnerOptions {
  readonly schedules: readonly ScheduledOn[];
  /**
   * Where time comes from.
   * @defaultValue `systemClock` (`Date.now()`, unref'd timers)
   */
  readonly clock?: Clock;
  /**
   * Enqueues one slot.
   * @defaultValue `enqueueSlotTask`: the task's own `using({ backend, priority, queueName }).enqueue(...args)`
   */
  readonly enqueue?: (scheduled: ScheduledOn, slotAt: number) => Promise<unknown>;
  /**
   * A slot found at most this late is on time, not missed (see `MissedPolicy`).
   * @defaultValue 60 000
   */
  readonly onTimeMs?: number;
  /**
   * The longest wait between two evaluations, even when no slot is due sooner: timers follow a
   * monotonic clock, so this bounds how late a slot is noticed after the machine slept or its
   * wall clock was set.
   * @defaultValue 60 000
   */
  readonly maxWaitMs?: number;
  /**
   * Told when a slot could not be enqueued (or the ledger failed); the slot is tried again at the
   * next evaluation while its missed policy still allows it.
   * @defaultValue a process warning naming the schedule and the slot
   */
  readonly onError?: (error: unknown, schedule: Schedule, slotAt: number | null) => void;
  /**
   * Told of each slot the runner put to its ledger, and what the ledger said (a `tasklane worker`
   * logs them).
   * @defaultValue a debug line to the logger set with `setLogger()`, if any
   */
  readonly onSlot?: (schedule: Schedule, slotAt: number, outcome: SlotOutcome) => void;
}

interface Entry {
  readonly on: ScheduledOn;
  /** Every slot up to this one has been judged (enqueued, found enqueued, or dropped); null: ask the ledger. */
  since: number | null;
  /** `nextSlot(schedule, since)`, kept because a wake asks for it and croner takes tens of µs. */
  next: number | null;
}

/**
 * Evaluates schedules with a clock: at each slot's due time it enqueues the slot through the
 * schedule's ledger, so runners sharing a ledger enqueue every slot once. It holds one timer, which
 * never keeps the process alive, and reads the ledger only when a slot is due.
 *
 * When it starts, a schedule whose ledger holds no slot counts from that moment: earlier slots are
 * not its to judge. A ledger holding an older slot (a database, after every worker was down) makes
 * the slots since then missed, and the schedule's missed policy decides.
 */
export class ScheduleRunner {
  readonly #entries: Entry[];
  readonly #clock: Clock;
  readonly #enqueue: (scheduled: ScheduledOn, slotAt: number) => Promise<unknown>;
  readonly #onTimeMs: number;
  readonly #maxWaitMs: number;
  readonly #onError: (error: unknown, schedule: Schedule, slotAt: number | null) => void;
  readonly #onSlot: (schedule: Schedule, slotAt: number, outcome: SlotOutcome) => void;
  #startedAt = 0;
  #state: "new" | "running" | "stopped" = "new";
  #timer: TimerHandle | null = null;
  /** The evaluation under way, or the last one: evaluations never overlap. */
  #work: Promise<void> = Promise.resolve();

  constructor(options: ScheduleRunnerOptions) {
    this.#entries = options.schedules.map((on) => ({ on, since: null, next: null }));
    this.#clock = options.clock ?? systemClock;
    this.#enqueue = options.enqueue ?? enqueueSlotTask;
    this.#onTimeMs = options.onTimeMs ?? ON_TIME_MS;
    this.#maxWaitMs = options.maxWaitMs ?? 60_000;
    this.#onError = options.onError ?? warn;
    this.#onSlot = options.onSlot ?? debugLine;
  }

  /** The schedules evaluated, in declaration order. */
  get schedules(): readonly ScheduledOn[] {
    return this.#entries.map((e) => e.on);
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#state === "running";
  }

  /** Starts evaluating: at once (for slots missed while nothing ran), then at each due slot. */
  start(): this {
    if (this.#state !== "new") throw new Error("A ScheduleRunner starts once; create a new one.");
    this.#state = "running";
    this.#startedAt = this.#clock.now();
    // Through the clock rather than at once, so a ManualClock advanced right after start() runs
    // this first evaluation before any later timer.
    this.#timer = this.#clock.setTimer(0, () => this.tick());
    return this;
  }

  /** Evaluates now (after any evaluation under way) and resolves when its slots are enqueued. */
  tick(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = null;
    // Caught here so that one failure can never end the chain, and with it every later evaluation.
    this.#work = this.#work.then(() => this.#evaluate()).catch(warnUnexpected);
    return this.#work;
  }

  /** Resolves once the evaluation under way, if any, has finished (and its slots are enqueued). */
  idle(): Promise<void> {
    return this.#work;
  }

  /** Stops: no evaluation starts any more; resolves once the one under way has finished. */
  stop(): Promise<void> {
    this.#state = "stopped";
    this.#timer?.cancel();
    this.#timer = null;
    return this.#work;
  }

  async #evaluate(): Promise<void> {
    if (this.#state !== "running") return;
    const now = this.#clock.now();
    for (const entry of this.#entries) {
      if (this.#state !== "running") return;
      await this.#evaluateOne(entry, now);
    }
    this.#arm();
  }

  async #evaluateOne(entry: Entry, now: number): Promise<void> {
    const { schedule, ledger } = entry.on;
    let slotAt: number | null = null;
    try {
      // The cheap check first: without a due slot by what this runner knows, the ledger is not asked.
      if (entry.since !== null && (entry.next === null || entry.next > now)) return;
      const last = await ledger.lastSlot(schedule.name);
      // Before its first judgement a runner defers to the ledger: a recorded slot, however old, is where
      // the schedule stopped; without one, the schedule counts from the runner's start.
      let since =
        entry.since === null ? (last ?? this.#startedAt) : Math.max(entry.since, last ?? Number.NEGATIVE_INFINITY);
      for (;;) {
        const due = dueSlots(schedule, since, now, { onTimeMs: this.#onTimeMs, limit: MAX_SLOTS_PER_CALL });
        for (const at of due) {
          if (this.#state !== "running") return;
          slotAt = at;
          const outcome = await ledger.enqueueSlot(schedule.name, at, () => this.#enqueueUnlessStopped(entry.on, at));
          this.#onSlot(schedule, at, outcome);
          since = at;
        }
        if (due.length < MAX_SLOTS_PER_CALL) break;
      }
      // Slots the policy dropped are judged too, so the next wake does not ask the ledger about them.
      entry.since = Math.max(since, latestSlot(schedule, now) ?? since);
      entry.next = nextSlot(schedule, entry.since);
    } catch (error) {
      // Stopped meanwhile (closeAll() at shutdown): the refused enqueue is not worth a warning.
      if (this.#state === "running") this.#onError(error, schedule, slotAt);
    }
  }

  #enqueueUnlessStopped(on: ScheduledOn, slotAt: number): Promise<unknown> {
    // Stopped by closeAll() meanwhile: enqueueing now would create a backend afresh.
    if (this.#state !== "running") return Promise.reject(new Error("the schedule runner was stopped"));
    return this.#enqueue(on, slotAt);
  }

  #arm(): void {
    if (this.#state !== "running") return;
    const now = this.#clock.now();
    let wake = now + this.#maxWaitMs;
    for (const entry of this.#entries) {
      // A slot left behind (its enqueue failed) is retried at the heartbeat, not in a busy loop.
      const next = entry.next !== null && entry.next > now ? entry.next : nextSlot(entry.on.schedule, now);
      if (next !== null && next < wake) wake = next;
    }
    this.#timer?.cancel();
    this.#timer = this.#clock.setTimer(wake - now, () => this.tick());
  }
}

/**
 * The default enqueue of a slot: a copy of the schedule's task made with `using()` for this slot
 * alone (the backend alias, and the schedule's priority and queue when given), tagged with the slot
 * so that the result's and the context's `scheduledAt` show it, enqueued with the schedule's args.
 */
export function enqueueSlotTask(scheduled: ScheduledOn, slotAt: number): Promise<unknown> {
  const { alias, schedule } = scheduled;
  const changes: UsingOptions = { backend: alias };
  if (schedule.priority !== null) changes.priority = schedule.priority;
  if (schedule.queueName !== null) changes.queueName = schedule.queueName;
  const copy = tagSlot(schedule.task.using(changes) as AnyTask, { schedule: schedule.name, at: slotAt });
  // On this copy's configuration: the task's module may import another copy of tasklane (the CLI
  // from dist/ loading tasks that import src/), whose own enqueue would find nothing configured.
  return enqueueTask(copy, schedule.args);
}

function debugLine(schedule: Schedule, slotAt: number, outcome: SlotOutcome): void {
  activeLogger()?.debug(`Schedule name=${schedule.name} slot=${new Date(slotAt).toISOString()} ${outcome}`);
}

function warn(error: unknown, schedule: Schedule, slotAt: number | null): void {
  const slot = slotAt === null ? "" : ` the slot due ${new Date(slotAt).toISOString()}`;
  const why = error instanceof Error ? error.message : String(error);
  process.emitWarning(`tasklane: schedule '${schedule.name}' could not enqueue${slot}: ${why}`);
}

function warnUnexpected(error: unknown): void {
  process.emitWarning(`tasklane: a schedule runner failed: ${error instanceof Error ? error.stack : String(error)}`);
}
