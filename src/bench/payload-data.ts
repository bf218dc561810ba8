/*
 * The arguments of the payload section: a small object, and an array of records whose JSON is
 * about the requested size (100 KB by default), shaped like ordinary application data.
 */

/** The small argument. */
export const SMALL_ARG = { id: 1, name: "small", ok: true };

/** An array of plain records whose `JSON.stringify` length is just over `bytes`. */
export function largeArg(bytes: number): Record<string, unknown>[] {
  const items: Record<string, unknown>[] = [];
  let size = 2;
  for (let i = 0; size < bytes; i++) {
    const item = { id: i, name: `item-${i}`, tags: ["alpha", "beta", "gamma"], score: i / 8, active: i % 2 === 0 };
    size += JSON.stringify(item).length + 1;
    items.push(item);
  }
  return items;
}
