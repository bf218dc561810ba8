import { ThreadRuntime } from "../src/pool/runtime/thread.ts";
const rt = new ThreadRuntime();
const t0 = Date.now();
for (let i = 0; i < 2; i++) {
  const w = rt.spawn({
    onBatches: (b) => console.log(i, Date.now() - t0, JSON.stringify(b)),
    onExit: (e) => console.log(i, "exit", e),
    onWithdrawn: () => {},
  });
  setTimeout(() => w.kill(), 6000);
}
