// The raw floor for a process-pool round trip: a child that echoes what it reads on fd 3, over the
// process pool's own channel (a socket pair carrying JSON lines, parsed and re-encoded as a worker
// does), with no pool, no queue and no bookkeeping. It exits when the parent closes the channel.
import { Socket } from "node:net";

const channel = new Socket({ fd: 3, readable: true, writable: true });
channel.setEncoding("utf8");
let rest = "";
channel.on("data", (chunk) => {
  const end = chunk.lastIndexOf("\n");
  if (end < 0) {
    rest += chunk;
    return;
  }
  const text = rest + chunk.slice(0, end);
  rest = chunk.slice(end + 1);
  // One parse per read and one write per read, as the pool's reader and worker loop do.
  const batches = JSON.parse(`[${text.replaceAll("\n", ",")}]`);
  channel.write(batches.map((batch) => JSON.stringify(batch)).join("\n") + "\n");
});
const exit = () => process.exit(0);
channel.on("end", exit);
channel.on("close", exit);
channel.on("error", exit);
