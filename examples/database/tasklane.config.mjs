// Read by the server (it imports this file) and by `npx tasklane worker`, which looks for
// tasklane.config.* in its working directory: both see the same database.
export default {
  default: {
    backend: "database",
    queues: ["default", "emails"],
    options: {
      // Relative URLs resolve against the working directory: start both from this folder, or use
      // TASKLANE_DB to point both at the same file.
      url: process.env.TASKLANE_DB ?? "sqlite:./tasklane.db",
      queues: { emails: { maxWorkers: 1 } },
    },
  },
};
