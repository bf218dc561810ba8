// The demo's tasks. They import tasklane by its package name, like an app would, so a worker that
// imports this module by its URL runs the same code the parent defined.
import { task } from "tasklane";
import { processImage } from "./image.mjs";

/**
 * CPU-heavy: renders and blurs report `seed`'s picture, reporting progress from inside the child
 * every few passes (each report goes to the parent as a `taskProgress` event).
 */
export const renderReport = task(
  import.meta,
  { queueName: "reports", takesContext: true },
  function renderReport(context, seed, size, passes) {
    return processImage(seed, size, passes, (done, total) => {
      if (done % 5 === 0 || done === total) context.reportProgress({ current: done, total });
    });
  },
);

/** Quick work on the default lane: the busy reports lane never holds it up. */
export const greet = task(import.meta, function greet(name) {
  return `hello, ${name}`;
});
