import { activeLogger } from "../log.ts";

/**
 * What a worker survived and reported (an unhandled rejection, a dead stdout): to tasklane's
 * logger, and as a process warning with the worker's code, which reaches those without a logger.
 */
export function reportWorkerWarning(code: string, message: string): void {
  activeLogger()?.error(message);
  process.emitWarning(message, { code });
}
