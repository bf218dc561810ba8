/**
 * `node --import tasklane/register app.ts`: TypeScript for an app and its task modules, with the tsx
 * that tasklane depends on, so the app needs no loader of its own. Workers inherit the flag (a child
 * process runs this module too) or register tsx themselves the first time they import a `.ts` file.
 *
 * Both of tsx's hooks are registered: Node treats a `.ts` file in a package without
 * `"type": "module"` as CommonJS, which only the require hooks compile.
 */
import { register as registerCommonJs } from "tsx/cjs/api";
import { register as registerEsm } from "tsx/esm/api";
import { markTypeScriptRegistered, typeScriptRegistered } from "./typescript.ts";

if (!typeScriptRegistered()) {
  registerEsm();
  registerCommonJs();
  markTypeScriptRegistered();
}
