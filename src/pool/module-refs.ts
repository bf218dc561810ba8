/**
 * Interns `moduleUrl#exportName` as a small integer. Each worker is told a ref's meaning once
 * (a DEFINE frame), after which a job names its task with one number instead of a long URL.
 * Two map lookups on strings the caller already holds, rather than a concatenated key per job.
 */
export class ModuleRefs {
  readonly #byUrl = new Map<string, Map<string, number>>();
  #next = 0;

  ref(moduleUrl: string, exportName: string): number {
    let byExport = this.#byUrl.get(moduleUrl);
    if (byExport === undefined) {
      byExport = new Map();
      this.#byUrl.set(moduleUrl, byExport);
    }
    let ref = byExport.get(exportName);
    if (ref === undefined) {
      ref = this.#next++;
      byExport.set(exportName, ref);
    }
    return ref;
  }
}
