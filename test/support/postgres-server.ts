// The throwaway server lives in src/ because `tasklane bench` starts one too.
export {
  findPostgresBin,
  type PostgresServer,
  type StartOptions,
  startPostgres,
} from "../../src/bench/postgres-server.ts";
