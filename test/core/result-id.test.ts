import { describe, expect, it } from "vitest";
import { newResultId } from "../../src/result-id.ts";

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("newResultId", () => {
  it("gives lower-case version-4 UUIDs, all distinct, across many refills of its random batch", () => {
    const ids = Array.from({ length: 10_000 }, () => newResultId());
    for (const id of ids) expect(id).toMatch(V4);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("spreads its random digits over every hex value (not a constant or a short cycle)", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) for (const c of newResultId().replaceAll("-", "").slice(13)) seen.add(c);
    expect(seen.size).toBe(16);
  });
});
