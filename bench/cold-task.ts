// A TypeScript task module for bench/cold-start.ts: a child imports it through tsx, as it would
// import an application's own .ts tasks.
import { task } from "tasklane";

export const hello = task(import.meta, function hello(name: string): string {
  return `hello ${name}`;
});
