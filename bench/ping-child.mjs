// The raw floor for a process round trip: a forked child that echoes every IPC message, with no
// pool, no queue and no bookkeeping. It exits when the parent disconnects.
process.on("message", (message) => {
  process.send(message);
});
process.on("disconnect", () => process.exit(0));
