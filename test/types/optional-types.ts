/**
 * Type tests for optional parameters and option names (issue 12, item 4), checked by `tsc --noEmit`
 * like task-types.ts: every `@ts-expect-error` line must be an error, every other line must compile.
 */
import { type TaskContext, type TaskResult, task } from "../../src/index.ts";

export const greet = task(import.meta, function greet(name: string, greeting?: string) {
  return `${greeting ?? "Hello"}, ${name}!`;
});
export const withDefault = task(import.meta, function withDefault(name: string, times = 1) {
  return name.repeat(times);
});
export const optionalWithOptions = task(
  import.meta,
  { priority: 5 },
  function optionalWithOptions(a: number, b?: number) {
    return a + (b ?? 0);
  },
);
export const optionalWithContext = task(
  import.meta,
  { takesContext: true },
  function optionalWithContext(context: TaskContext, label?: string) {
    return `${label ?? "attempt"} ${context.attempt}`;
  },
);
export const optionalObject = task(import.meta, function optionalObject(filter?: { city: string; tags?: string[] }) {
  return filter?.city ?? null;
});
export const rest = task(import.meta, function rest(first: string, ...others: number[]) {
  return [first, others.length];
});

// @ts-expect-error a required parameter that may be undefined is not JSON
export const requiredUndefined = task(import.meta, function requiredUndefined(a: string | undefined) {
  return a ?? null;
});
// @ts-expect-error an optional Date is still a Date
export const optionalDate = task(import.meta, function optionalDate(when?: Date) {
  return when?.getTime() ?? null;
});
// @ts-expect-error a misspelt option name
export const typo = task(import.meta, { priorty: 1 }, function typo() {});
export const typoWithContext = task(
  import.meta,
  // @ts-expect-error a misspelt option name next to takesContext
  { takesContext: true, maxAttempt: 2 },
  function typoWithContext(context: TaskContext) {
    return context.attempt;
  },
);
// @ts-expect-error takesContext, but the first parameter is not a TaskContext
export const contextMissing = task(import.meta, { takesContext: true }, function contextMissing(n: number) {
  return n;
});

export async function usage(): Promise<void> {
  const short: TaskResult<string> = await greet.enqueue("Ada");
  const long: TaskResult<string> = await greet.enqueue("Ada", "Hi");
  void [short, long];
  await withDefault.enqueue("ab");
  await withDefault.enqueue("ab", 3);
  await optionalWithOptions.enqueue(1);
  await optionalWithContext.enqueue();
  await optionalWithContext.enqueue("try");
  await optionalObject.enqueue();
  await optionalObject.enqueue({ city: "Oslo" });
  await rest.enqueue("a", 1, 2, 3);
  // @ts-expect-error the required parameter is still required
  await greet.enqueue();
  // @ts-expect-error a wrong type in the optional position
  await greet.enqueue("Ada", 3);
  // @ts-expect-error more arguments than parameters
  await greet.enqueue("Ada", "Hi", "there");
}
