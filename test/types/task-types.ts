/**
 * Type tests, checked by `tsc --noEmit` (npm run typecheck): each `@ts-expect-error` line must be an
 * error, so a loosened constraint fails the type check.
 */
import { type JsonValue, type Task, type TaskContext, type TaskResult, task } from "../../src/index.ts";

interface User {
  name: string;
  tags: string[];
  address?: { city: string };
}
interface Tree {
  label: string;
  children: Tree[];
}
type Point = { x: number; y: number };

export const ok1 = task(import.meta, function ok1(a: number, b: string, c: boolean | null) {
  return { a, b, c };
});
export const ok2 = task(import.meta, function ok2(u: User, t: Tree, p: Point, j: JsonValue, list: readonly number[]) {
  return [u.name, t.label, p.x, j, list.length];
});
export const ok3 = task(import.meta, async function ok3(n: number): Promise<void> {
  void n;
});
export const ok4 = task(import.meta, { takesContext: true }, function ok4(context: TaskContext, n: number) {
  return context.attempt + n;
});
export const ok5 = task(import.meta, function ok5(tuple: [number, string]) {
  return tuple;
});

// @ts-expect-error a Date parameter is not JSON
export const bad1 = task(import.meta, function bad1(d: Date) {
  return d.getTime();
});
// @ts-expect-error a Map parameter is not JSON
export const bad2 = task(import.meta, function bad2(m: Map<string, number>) {
  return m.size;
});
// @ts-expect-error returning a Date is not JSON
export const bad3 = task(import.meta, function bad3() {
  return new Date();
});
// @ts-expect-error a bigint is not JSON
export const bad4 = task(import.meta, function bad4(n: bigint) {
  return Number(n);
});
// @ts-expect-error an object holding a function is not JSON
export const bad5 = task(import.meta, function bad5(o: { f: () => void }) {
  return typeof o;
});
// @ts-expect-error resolving to a Set is not JSON
export const bad6 = task(import.meta, async function bad6() {
  return new Set<number>();
});
// @ts-expect-error undefined inside an array is not JSON
export const bad7 = task(import.meta, function bad7(a: (number | undefined)[]) {
  return a.length;
});

export async function usage(): Promise<void> {
  const r1: TaskResult<{ a: number; b: string; c: boolean | null }> = await ok1.enqueue(1, "x", null);
  void r1;
  // @ts-expect-error wrong argument type
  await ok1.enqueue("1", "x", null);
  // @ts-expect-error missing argument
  await ok1.enqueue(1, "x");
  const r3: TaskResult<null> = await ok3.enqueue(1);
  void r3;
  const r4: TaskResult<number> = await ok4.enqueue(2);
  void r4;
  // @ts-expect-error the context is not an enqueue argument
  await ok4.enqueue({} as TaskContext, 2);
  const t: Task<[number, string, boolean | null], { a: number; b: string; c: boolean | null }> = ok1.using({
    priority: 5,
  });
  void t;
  const sum: number = await ok4.call({} as TaskContext, 1);
  void sum;
}
