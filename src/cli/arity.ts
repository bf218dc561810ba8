import { readTaskBrand } from "../brand.ts";
import type { AnyTask } from "../task.ts";
import { CliError } from "./errors.ts";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * Refuses fewer command-line arguments than the task's function requires, before anything is
 * enqueued: `tasklane run ./t.mjs#add 1` would otherwise run `add(1, undefined)`. A function's
 * `length` counts its parameters before the first default or rest parameter (a TypeScript `b?:` is
 * compiled to a plain parameter, so it counts); a context task's first parameter is its context.
 * More arguments than parameters are left alone, as JavaScript leaves them.
 * @throws CliError (exit 2) naming the task and both counts.
 */
export function checkArgumentCount(task: AnyTask, given: number): void {
  const brand = readTaskBrand(task);
  if (brand === undefined) return;
  const declared = brand.fn.length;
  const required = Math.max(0, declared - (brand.takesContext ? 1 : 0));
  if (given >= required) return;
  const context = brand.takesContext ? ", the first of them its context" : "";
  throw new CliError(
    `Task ${task.modulePath} takes ${plural(required, "argument")} (its function declares ` +
      `${plural(declared, "parameter")} before any default or rest parameter${context}); got ${given}. ` +
      "A parameter that may be left out needs a default value, e.g. `greeting = null`.",
  );
}
