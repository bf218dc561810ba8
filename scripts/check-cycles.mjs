// Import cycles in src/ (run by `npm run lint`), as BullMQ checks its own with madge:
// - a cycle of value imports fails: modules in it may see each other half-initialised;
// - a cycle through the engine (src/pool/), the wire (src/wire/) or the child (src/worker/) fails
//   even when it is type-only: those rooms must be readable and reusable without the core;
// - the type-only remainder is printed. It is the one Django has too (a task names its backend, a
//   backend handles tasks), see the README's "Layout" section.
import madge from "madge";

const base = { fileExtensions: ["ts"], tsConfig: "tsconfig.json" };
const skipTypes = { ts: { skipTypeImports: true }, tsx: { skipTypeImports: true } };
const values = (await madge("src", { ...base, detectiveOptions: skipTypes })).circular();
const all = (await madge("src", base)).circular();
const sealed = /^(pool|wire|worker)\//;
const throughEngine = all.filter((cycle) => cycle.some((file) => sealed.test(file)));

let failed = false;
for (const cycle of values) {
  console.error(`value import cycle: ${cycle.join(" > ")}`);
  failed = true;
}
for (const cycle of throughEngine) {
  console.error(`import cycle through the engine, wire or worker: ${cycle.join(" > ")}`);
  failed = true;
}
const typeOnly = all.length - throughEngine.length;
console.log(
  `import cycles in src/: ${values.length} of values, ${throughEngine.length} through pool/, wire/ or worker/, ` +
    `${typeOnly} type-only elsewhere (npx madge --circular --extensions ts --ts-config tsconfig.json src lists them)`,
);
if (failed) process.exit(1);
