// A refused evaluation-key upload frees what its expanding parser built at once. Those keys live
// in native memory the garbage collector is not told about, so a server refusing a stream of bad
// uploads (corrupted, truncated) held every one of them until a collection happened to run: the
// 10-minute evaluation-keys fuzz run grew to 24 GB and was killed. Parsers are now released when
// they finish or fail, and the message reader aborts its payload sink when it refuses the message.
import { describe, expect, it } from "vitest";
import { messageParser, messageStream } from "../../compiler/deploy/artifacts.js";
import { type ChunkSink, ClientKey, collect, parseChunks, SeededEvaluationKeys } from "../../runtime/index.js";
import { native } from "../../runtime/native.js";
import { INSECURE_TEST_P2 } from "../helpers/insecure_parameters.js";

/** A payload sink that counts how often it was aborted. */
function countingSink(): ChunkSink<number> & { aborted: number } {
  const s = { aborted: 0, push: () => {}, finish: () => 0, abort: () => void s.aborted++ };
  return s;
}

describe("refused evaluation-key uploads", () => {
  it("an aborted expanding parser has freed its native state: a later push finds it released", async () => {
    const bytes = (await ClientKey.generate(INSECURE_TEST_P2).generateSeededEvaluationKeys()).serialize();
    const p = SeededEvaluationKeys.expandingParser(INSECURE_TEST_P2, bytes.length);
    p.push(bytes.subarray(0, bytes.length >> 1));
    p.abort!();
    expect(() => p.push(bytes.subarray(bytes.length >> 1))).toThrow(/released/);
  });

  it("an expanding parser reports the keys it holds to the garbage collector as they grow, and nothing once aborted", async () => {
    const seeded = await ClientKey.generate(INSECURE_TEST_P2).generateSeededEvaluationKeys();
    const bytes = seeded.serialize();
    const expanded = seeded.expandSync();
    const expandedBytes = expanded.sizes().keyswitchingKey + expanded.sizes().bootstrappingKey;
    expanded.release();
    const before = native().nativeHeldBytes();
    const p = SeededEvaluationKeys.expandingParser(INSECURE_TEST_P2, bytes.length);
    p.push(bytes.subarray(0, bytes.length >> 1)); // past the keyswitching key: the expanded keys are allocated
    expect(native().nativeHeldBytes() - before).toBeGreaterThanOrEqual(expandedBytes);
    p.abort!();
    expect(native().nativeHeldBytes()).toBe(before);
  });

  it("a message whose checksum fails aborts its payload sink before reporting", async () => {
    const seeded = await ClientKey.generate(INSECURE_TEST_P2).generateSeededEvaluationKeys();
    const msg = collect(messageStream("evaluation-keys", "c", seeded.stream(), seeded.sha256()));
    msg[msg.length - 1]! ^= 1; // a payload byte: only the checksum can tell
    const sink = countingSink();
    expect(() => parseChunks(messageParser("evaluation-keys", "c", "k.bin", () => sink), [msg])).toThrow(/checksum mismatch/);
    expect(sink.aborted).toBe(1);
  });

  it("a truncated message aborts its payload sink too; a good one does not", async () => {
    const seeded = await ClientKey.generate(INSECURE_TEST_P2).generateSeededEvaluationKeys();
    const msg = collect(messageStream("evaluation-keys", "c", seeded.stream(), seeded.sha256()));
    const cut = countingSink();
    expect(() => parseChunks(messageParser("evaluation-keys", "c", "k.bin", () => cut), [msg.subarray(0, msg.length - 10)])).toThrow(/truncated/);
    expect(cut.aborted).toBe(1);
    const good = countingSink();
    parseChunks(messageParser("evaluation-keys", "c", "k.bin", () => good), [msg]);
    expect(good.aborted).toBe(0);
  });
});
