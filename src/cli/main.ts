#!/usr/bin/env node
// The `tasklane` executable; everything but process start-up and exit lives in program.ts.
import { processIo, runAsMain } from "./io.ts";
import { runCli } from "./program.ts";

runAsMain(() => runCli(process.argv.slice(2), processIo()));
