// The README's examples stay true: its IR example parses, verifies and prints back unchanged,
// and the commands it names exist.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultRegistry, parseModule, printModule, verifyModule } from "../ir/index.js";
import { cli } from "./helpers/cli.js";
import * as api from "../compiler/index.js";

const readme = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");

describe("README", () => {
  it("its mlir examples round-trip and verify", () => {
    const blocks = [...readme.matchAll(/```mlir\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThan(0);
    for (const text of blocks) {
      const parsed = parseModule(text, "README.md", defaultRegistry);
      expect(parsed.diagnostics).toEqual([]);
      expect(verifyModule(parsed.module!, defaultRegistry).diagnostics).toEqual([]);
      expect(printModule(parsed.module!)).toBe(text);
    }
  });
  it("names only commands that exist", async () => {
    // Commands in shell blocks and inline code spans.
    const code = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).join("\n") + [...readme.matchAll(/`([^`\n]+)`/g)].map((m) => `\n${m[1]}`).join("");
    const named = new Set([...code.matchAll(/^fhec ([a-z]+)\b/gm)].map((m) => m[1]!));
    expect(named.size).toBeGreaterThan(3);
    const help = (await cli("--help")).stdout;
    for (const c of named) expect(help, `fhec ${c}`).toMatch(new RegExp(`\\n  ${c} `));
  });
  it("the package entry point's documented API runs on a model with tables: readNpy, compile, predict, info, serialize, FheCircuit.deserialize, importOnnx", async () => {
    const dir = join(import.meta.dirname, "fixtures", "models", "mlp");
    const xCalib = api.readNpy(readFileSync(join(dir, "calib.npy")));
    const xAll = api.readNpy(readFileSync(join(dir, "x_test.npy")));
    const features = xAll.shape[1]!;
    const xTest = { shape: [8, features], data: xAll.data.slice(0, 8 * features) };
    // The README's call, compile(path, { calibration, nBits, roundingThresholdBits }), at widths that compile quickly.
    const circuit = api.compile(join(dir, "model.onnx"), { calibration: xCalib, nBits: 3, roundingThresholdBits: 4 });
    const [y] = await circuit.predict(xTest, { fhe: "simulate" });
    const classes = api.readNpy(readFileSync(join(dir, "y_ref.npy"))).shape[1]!;
    expect(y!.shape).toEqual([8, classes]);
    // info() counts the circuit's own table ops, and the static rounding keeps tables at 4 bits.
    const info = circuit.info();
    const tables = circuit.func.body.ops.filter((op) => op.name.includes("lookup_table")).length;
    expect(tables).toBeGreaterThan(0);
    expect(info.tluCount).toBe(tables);
    expect(info.maxTluInputPrecision).toBeLessThanOrEqual(4);
    // A deserialized circuit computes what the original does (the same seed draws the same noise).
    const restored = api.FheCircuit.deserialize(circuit.serialize());
    expect((await restored.predict(xTest, { fhe: "simulate" }))[0]!.data).toEqual(y!.data);
    expect(restored.predictClear(xTest, { fhe: "disable" })[0]!.data).toEqual(circuit.predictClear(xTest, { fhe: "disable" })[0]!.data);
    // importOnnx gives the float model's function: one argument of the test data's feature width.
    const imported = api.importOnnx(join(dir, "model.onnx"));
    expect(imported.funcs[0]!.args).toHaveLength(1);
    expect(printModule(imported)).toContain(`@main(%input: tensor<?x${features}xf32>)`);
  });
});
