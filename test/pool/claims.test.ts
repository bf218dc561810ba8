/**
 * The claim words on their own: the worker and the pool race for each job handed ahead, exactly one
 * wins, and reused slots never confuse an old job with a new one. The race across real threads is in
 * recall.test.ts; this pins the rules.
 */
import { describe, expect, it } from "vitest";
import { CLAIM_SLOTS, ClaimWords, claimBuffer, LOST, TAKEN, TAKEN_IMPORTING } from "../../src/wire/claims.ts";

describe("ClaimWords", () => {
  it("lets exactly one side have a job: the worker to start it, or the pool to take it back", () => {
    const words = new ClaimWords(claimBuffer());
    expect(words.take(1, false)).toBe(true);
    expect(words.withdraw(1, true)).toBe(LOST);
    expect(words.withdraw(2, false)).toBe(TAKEN);
    expect(words.take(2, false)).toBe(false);
    expect(words.withdraw(2, false)).toBe(LOST); // already taken back: nothing more to take
  });

  it("lets a cancel, not a recall, take a job whose module is being imported", () => {
    const words = new ClaimWords(claimBuffer());
    expect(words.take(3, true)).toBe(true);
    expect(words.withdraw(3, false)).toBe(LOST);
    expect(words.withdraw(3, true)).toBe(TAKEN_IMPORTING);
    expect(words.start(3)).toBe(false); // the import ends: the job is not started
    expect(words.take(4, true)).toBe(true);
    expect(words.start(4)).toBe(true);
    expect(words.withdraw(4, true)).toBe(LOST);
  });

  it("treats a reused slot's older word as unclaimed, and a newer one as the end of an old job", () => {
    const words = new ClaimWords(claimBuffer());
    const seq = 5;
    const next = seq + CLAIM_SLOTS;
    expect(words.take(seq, false)).toBe(true);
    // The same slot, a later job: free to claim, whatever the older job's state.
    expect(words.withdraw(next, false)).toBe(TAKEN);
    // A stale copy of the older job (still in the worker's buffer) never starts after that.
    expect(words.take(seq, false)).toBe(false);
    expect(words.take(next + CLAIM_SLOTS, false)).toBe(true);
    // Across the tags' wrap at 2^28 the rule still holds.
    const wrapping = new ClaimWords(claimBuffer());
    const before = 2 ** 28 - CLAIM_SLOTS + seq;
    expect(wrapping.take(before, false)).toBe(true);
    expect(wrapping.withdraw(before + CLAIM_SLOTS, false)).toBe(TAKEN);
    expect(wrapping.take(before, false)).toBe(false);
    expect(wrapping.take(before + 2 * CLAIM_SLOTS, false)).toBe(true);
  });
});
