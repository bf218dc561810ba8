// The progress page's task: renders the frames of a Mandelbrot zoom in a worker process and
// reports progress after each frame, which the server relays to the page over Server-Sent Events.
import { task } from "tasklane";

const SIZE = 240; // each frame is SIZE × SIZE pixels, about 50 ms of CPU
const MAX_ITER = 400;

export const render = task(import.meta, { takesContext: true }, function render(context, frames) {
  let inside = 0;
  for (let frame = 0; frame < frames; frame++) {
    // Zooming slowly keeps every frame about the same amount of work, so progress moves evenly.
    const zoom = 1 + frame * 0.01;
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) if (escapes(x, y, zoom) === MAX_ITER) inside++;
    }
    context.reportProgress({ current: frame + 1, total: frames });
  }
  return { frames, inside };
});

/** Iterations until point (x, y) of a frame escapes; MAX_ITER if it never does. */
function escapes(x, y, zoom) {
  const cr = ((x / SIZE) * 3 - 2.1) / zoom - 0.3;
  const ci = ((y / SIZE) * 3 - 1.5) / zoom;
  let zr = 0;
  let zi = 0;
  let i = 0;
  while (i < MAX_ITER && zr * zr + zi * zi <= 4) {
    const t = zr * zr - zi * zi + cr;
    zi = 2 * zr * zi + ci;
    zr = t;
    i++;
  }
  return i;
}
