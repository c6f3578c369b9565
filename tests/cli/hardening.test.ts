// The CLI around its files: key sets written as a unit and never silently replaced, stale
// temporaries cleaned, outputs checked before the work and never equal to an input, and the
// polish of errors and help.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readNpz, writeNpy } from "../../compiler/data/npy.js";
import { writeArtifactSet } from "../../compiler/stream_io.js";
import { cli } from "../helpers/cli.js";
import { loadFixture } from "../helpers/fixtures.js";
import { A, buildModel, randomValues, tensorProto } from "../onnx/graph_builder.js";

const work = mkdtempSync(join(tmpdir(), "fhec-cli-hard-"));
const p = (name: string) => join(work, name);
const f = loadFixture("logreg_demo");

beforeAll(async () => {
  const r = await cli("compile", f.model, "--calib", join(f.dir, "calib.npy"), "-o", p("a.fhe"), "--n-bits", "3");
  expect(r.code, r.stderr).toBe(0);
}, 120_000);

describe("key files", () => {
  it("keygen writes secret.key with mode 0600 and refuses to replace keys without --force", async () => {
    expect((await cli("keygen", p("a.client"), "--out", p("keys"))).code).toBe(0);
    expect(statSync(join(p("keys"), "secret.key")).mode & 0o777).toBe(0o600);
    const before = readFileSync(join(p("keys"), "secret.key"));
    const again = await cli("keygen", p("a.client"), "--out", p("keys"));
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds keys \(secret\.key, eval\.key\).*--force to replace them/);
    expect(readFileSync(join(p("keys"), "secret.key")).equals(before)).toBe(true);
    expect((await cli("keygen", p("a.client"), "--out", p("keys"), "--force")).code).toBe(0);
    expect(readFileSync(join(p("keys"), "secret.key")).equals(before)).toBe(false);
  });

  it("a key directory mixing two key generations is refused when the client loads it", async () => {
    expect((await cli("keygen", p("a.client"), "--out", p("k1"))).code).toBe(0);
    expect((await cli("keygen", p("a.client"), "--out", p("k2"))).code).toBe(0);
    writeFileSync(join(p("k1"), "eval.key"), readFileSync(join(p("k2"), "eval.key")));
    const r = await cli("encrypt", p("a.client"), "--keys", p("k1"), "--input", join(f.dir, "x_test.npy"), "-o", p("mixed.ct"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/different key generations/);
    expect(existsSync(p("mixed.ct"))).toBe(false);
  });

  it("a set whose second file fails midway leaves every target as it was and no temporary", () => {
    mkdirSync(p("set"));
    writeFileSync(join(p("set"), "one"), "old one");
    const failing = { size: 10, *chunks() {
      yield new Uint8Array(5);
      throw new Error("the generator failed");
    } };
    expect(() => writeArtifactSet([{ path: join(p("set"), "one"), data: "new one" }, { path: join(p("set"), "two"), data: failing }])).toThrow(/the generator failed/);
    expect(readFileSync(join(p("set"), "one"), "utf8")).toBe("old one");
    expect(readdirSync(p("set"))).toEqual(["one"]);
  });

  it("temporaries left by a killed writer are removed by the next write", async () => {
    const dir = p("keys");
    // A pid far above any pid_max: its writer is certainly gone.
    const stale = join(dir, ".eval.key.99999999.tmp");
    writeFileSync(stale, "half a key");
    expect((await cli("keygen", p("a.client"), "--out", dir, "--force")).code).toBe(0);
    expect(existsSync(stale)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });
});

describe("output paths", () => {
  it("compile refuses -o equal to the model or the calibration file, and leaves them intact", async () => {
    writeFileSync(p("m.onnx"), readFileSync(f.model));
    writeFileSync(p("calib.npy"), readFileSync(join(f.dir, "calib.npy")));
    const r = await cli("compile", p("m.onnx"), "--calib", p("calib.npy"), "-o", p("m.onnx"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the output '.*m\.onnx' is also an input/);
    expect(readFileSync(p("m.onnx")).equals(readFileSync(f.model))).toBe(true);
    const c = await cli("compile", p("m.onnx"), "--calib", p("calib.npy"), "-o", p("calib.npy"));
    expect(c.code).toBe(1);
    expect(readFileSync(p("calib.npy")).equals(readFileSync(join(f.dir, "calib.npy")))).toBe(true);
  });

  it("run checks its output path before reading keys or computing", async () => {
    // The keys do not exist either: the output is the first thing checked.
    const r = await cli("run", p("a.fhe"), "--eval-keys", p("no.key"), "--input", p("no.ct"), "-o", p("nodir/y.ct"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot write '.*nodir\/y\.ct': its directory '.*nodir' does not exist \(create it first\)/);
  });

  it("a compile that cannot write the client spec writes no circuit either", async () => {
    mkdirSync(p("b.client"));
    const r = await cli("compile", f.model, "--calib", join(f.dir, "calib.npy"), "-o", p("b.fhe"), "--n-bits", "3");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/b\.client': it is a directory/);
    expect(existsSync(p("b.fhe"))).toBe(false);
  });

  it("an output that is a directory says what to do", async () => {
    const r = await cli("simulate", p("a.fhe"), "--input", join(f.dir, "x_test.npy"), "-o", work);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/it is a directory \(give a file name\)/);
  });
});

describe("CLI polish", () => {
  it("a typo in --dump-ir is a usage error listing the stages", async () => {
    const r = await cli("compile", f.model, "--calib", join(f.dir, "calib.npy"), "-o", p("d.fhe"), "--dump-ir=foo");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--dump-ir: unknown stage 'foo' \(stages: import, calibrate, .*after-all\)/);
  });

  it("fhec help compile prints compile's help; keygen and run list their options", async () => {
    const h = await cli("help", "compile");
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/^usage: fhec compile/);
    expect((await cli("keygen", "--help")).stdout).toMatch(/--out=DIR[\s\S]*--force/);
    expect((await cli("run", "--help")).stdout).toMatch(/--eval-keys=FILE[\s\S]*--input=FILE[\s\S]*--output=FILE/);
  });

  it("--tolerance reaches the precision search; a malformed value is a usage error (exit 2), a combination the compiler refuses exits 1", async () => {
    const q = loadFixture("qdq_mlp");
    const ok = await cli("compile", q.model, "--calib", join(q.dir, "calib.npy"), "-o", p("tol.fhe"), "--tolerance", "0");
    expect(ok.code, ok.stderr).toBe(0);
    // The summary: "… under the search's noise: LOSS, ACTUAL with the chosen parameters' noise; REF at
    // the widest windows; EXACT exact without windows; budget B".
    const m = /search's noise: ([\d.]+), ([\d.]+) with the chosen parameters' noise; ([\d.]+) at the widest windows; ([\d.]+) exact without windows; budget ([\d.]+)/.exec(ok.stdout + ok.stderr);
    expect(m, ok.stdout + ok.stderr).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(Math.max(Number(m![3]), Number(m![4])));
    expect(Number(m![5])).toBeCloseTo(Math.max(Number(m![3]), Number(m![4])), 4);
    for (const [value, message] of [
      ["1.5", /--tolerance: expected a fraction in \[0, 1\], got '1.5'/],
      ["size=0.1", /--tolerance: expected P or classification=P,regression=Q, got 'size=0.1'/],
    ] as const) {
      const r = await cli("compile", q.model, "--calib", join(q.dir, "calib.npy"), "-o", p("tol2.fhe"), "--tolerance", value);
      expect(r.code).toBe(2);
      expect(r.stderr.split("\n")[0]).toMatch(message);
    }
    const both = await cli("compile", q.model, "--calib", join(q.dir, "calib.npy"), "-o", p("tol3.fhe"), "--tolerance", "0.01", "--rounding-bits", "6");
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/cannot be combined with roundingThresholdBits/);
    expect(both.stderr.trim().split("\n")).toHaveLength(1);
  }, 120_000);

  it("--n-bits -3 gets the project's own message", async () => {
    const r = await cli("compile", f.model, "--calib", join(f.dir, "calib.npy"), "-o", p("n.fhe"), "--n-bits", "-3");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--n-bits must be a positive number of bits, got '-3'/);
  });

  it(".npz outputs keep the ONNX output names and dtypes (labels int64)", async () => {
    const w = randomValues(8, 7);
    writeFileSync(p("two.onnx"), buildModel({
      inputs: [{ name: "x", shape: ["N", 4] }],
      outputs: [{ name: "proba" }, { name: "label", dtype: "int64" }],
      initializers: [tensorProto("w", "float", [4, 2], w), tensorProto("b", "float", [2], [0.1, -0.1])],
      nodes: [
        { op: "Gemm", inputs: ["x", "w", "b"], outputs: ["z"] },
        { op: "Sigmoid", inputs: ["z"], outputs: ["proba"] },
        { op: "ArgMax", inputs: ["z"], outputs: ["label"], attrs: { axis: A.i(1), keepdims: A.i(0) } },
      ],
    }));
    writeFileSync(p("x4.npy"), writeNpy({ shape: [16, 4], data: Float64Array.from(randomValues(64, 9)) }));
    expect((await cli("compile", p("two.onnx"), "--calib", p("x4.npy"), "-o", p("two.fhe"), "--n-bits", "4")).code).toBe(0);
    const r = await cli("simulate", p("two.fhe"), "--input", p("x4.npy"), "-o", p("two.npz"));
    expect(r.code, r.stderr).toBe(0);
    const arrays = readNpz(readFileSync(p("two.npz")));
    expect([...arrays.keys()].sort()).toEqual(["label", "proba"]);
    expect(arrays.get("label")!.dtype).toBe("int64");
    expect(arrays.get("proba")!.dtype).toBe("float32");
  });
});
