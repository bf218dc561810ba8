import type { Command } from "commander";
import { closeAll } from "../config.ts";
import { databaseBackend, openDatabase } from "./database-backend.ts";
import { CliError, EXIT_OK } from "./errors.ts";
import type { CliIo } from "./io.ts";
import { configureFromCli } from "./load-config.ts";

/** Adds `tasklane migrate`. */
export function addMigrateCommand(program: Command, io: CliIo, exit: { code: number }): void {
  program
    .command("migrate")
    .summary("create or update a database backend's tables")
    .description("Bring the database backend's schema up to date (also done automatically on first use, under a lock).")
    .option("--config <file>", "config file (default: tasklane.config.{ts,mjs,js,json} in the working directory)")
    .option("--backend <alias>", "the database backend's alias", "default")
    .action(async (options: { config?: string; backend: string }) => {
      try {
        const loaded = await configureFromCli(io.cwd, options.config);
        const store = await openDatabase(databaseBackend(options.backend, loaded));
        io.stdout(`Database ${store.location} is up to date.\n`);
        exit.code = EXIT_OK;
      } catch (error) {
        if (!(error instanceof CliError)) throw error;
        io.stderr(`tasklane migrate: ${error.message}\n`);
        exit.code = error.exitCode;
      } finally {
        await closeAll({ timeoutMs: 0 });
      }
    });
}
