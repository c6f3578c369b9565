// .npy / .npz reading (files written by NumPy, see data/README.md) and writing round trips.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type NpyDtype, readArrays, readNpy, readNpz, writeNpy, writeNpz } from "../../compiler/data/npy.js";
import { readZip, writeZip } from "../../compiler/data/zip.js";
import { CompileError } from "../../ir/diagnostics.js";

const data = (name: string) => readFileSync(new URL(`./data/${name}`, import.meta.url));

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof CompileError) return e.diagnostics.map((d) => d.message).join("\n");
    throw e;
  }
  throw new Error("expected an error");
}

describe(".npy", () => {
  it("reads float32, float64, int64 and uint8 arrays written by NumPy", () => {
    const f32 = readNpy(data("f32.npy"));
    expect(f32.dtype).toBe("float32");
    expect(f32.shape).toEqual([2, 3]);
    expect([...f32.data]).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25]);
    const f64 = readNpy(data("f64.npy"));
    expect(f64.dtype).toBe("float64");
    expect([...f64.data]).toEqual([1.5, -2.25, 1e-300, 3]);
    const i64 = readNpy(data("i64.npy"));
    expect(i64.dtype).toBe("int64");
    expect([...i64.data]).toEqual([1, -2, 2 ** 40]);
    const u8 = readNpy(data("u8.npy"));
    expect(u8.dtype).toBe("uint8");
    expect([...u8.data]).toEqual([0, 255, 7, 128]);
  });
  it("rejects Fortran order, unsupported dtypes, bad magic and truncation with clear errors", () => {
    expect(errorOf(() => readNpy(data("fortran.npy"), "fortran.npy"))).toContain("Fortran-order arrays are not supported");
    expect(errorOf(() => readNpy(data("f16.npy"), "f16.npy"))).toContain("unsupported .npy dtype '<f2'");
    expect(errorOf(() => readNpy(Buffer.from("hello world"), "x"))).toContain("not a .npy file");
    const f32 = data("f32.npy");
    expect(errorOf(() => readNpy(f32.subarray(0, f32.length - 3), "cut.npy"))).toContain("truncated .npy data");
  });
  it("round-trips every written dtype", () => {
    const cases: [NpyDtype, number[]][] = [
      ["float32", [0.5, -1.25, 3]],
      ["float64", [Math.PI, -1e-200, 0]],
      ["int64", [-(2 ** 50), 0, 7]],
      ["int32", [-5, 2 ** 31 - 1, 0]],
      ["int8", [-128, 127, 0]],
      ["uint8", [0, 255, 9]],
      ["bool", [1, 0, 1]],
    ];
    for (const [dtype, values] of cases) {
      const back = readNpy(writeNpy({ shape: [3, 1], data: Float64Array.from(values) }, dtype));
      expect(back.dtype).toBe(dtype);
      expect(back.shape).toEqual([3, 1]);
      expect([...back.data]).toEqual(values);
    }
    const scalar = readNpy(writeNpy({ shape: [], data: Float64Array.of(2) }, "float64"));
    expect(scalar.shape).toEqual([]);
  });
});

describe(".npz", () => {
  it("reads stored and deflated archives written by NumPy", () => {
    const stored = readNpz(data("stored.npz"));
    expect([...stored.keys()].sort()).toEqual(["x", "y"]);
    expect([...stored.get("y")!.data]).toEqual([3, 4]);
    expect(stored.get("x")!.shape).toEqual([2, 3]);
    const deflated = readArrays(data("deflated.npz"));
    expect(deflated.get("big")!.data.length).toBe(1000);
    expect(deflated.get("big")!.data[999]).toBe(1);
    expect([...deflated.get("x")!.data]).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25]);
  });
  it("round-trips through the writer and rejects truncated archives", () => {
    const bytes = writeNpz(new Map([["a", { array: { shape: [2], data: Float64Array.of(1, 2) }, dtype: "float32" as NpyDtype }]]));
    expect([...readNpz(bytes).get("a")!.data]).toEqual([1, 2]);
    expect(readZip(writeZip([{ name: "t.txt", data: Buffer.from("hi") }])).get("t.txt")!.toString()).toBe("hi");
    const npz = data("stored.npz");
    expect(errorOf(() => readNpz(npz.subarray(0, 100), "cut.npz"))).toContain("invalid .npz/zip archive");
  });
});
