// Exact rounding in FHE equals floor((x + 2^(k−1)) / 2^k) for every input whose result fits, for
// each width d of the last extraction step (d = 1: bit by bit; d ≥ 2: the top d removed bits read
// with the kept ones by one (d + q)-bit table), at the parameters the optimizer chooses for it.
import { describe, expect, it } from "vitest";
import { selectCryptoParameters } from "../../passes/params/pass.js";
import { TfheParameters } from "../../runtime/index.js";
import { batchOf, parse, parties, programFor, runEncrypted } from "./helpers.js";

const P = 6;
const Q = 2;
const K = P - Q;
/** Every x whose rounded value fits q bits: floor((x + 8)/16) in [−2, 1] signed, [0, 3] unsigned. */
const inputs = (signed: boolean) => Array.from({ length: 2 ** P - 2 ** (K - 1) }, (_, i) => (signed ? -(2 ** (P - 1)) : 0) + i);

describe.each([
  { d: 1, signed: true },
  { d: 2, signed: true },
  { d: 3, signed: true },
  { d: 2, signed: false },
])("exact rounding, $d-bit last step, signed $signed, encrypted", ({ d, signed }) => {
  const XS = inputs(signed);
  it(`every input in [${XS[0]}, ${XS.at(-1)}]: FHE equals floor((x + 2^(k−1))/2^k), with ${K - d + 1} PBS per element`, async () => {
    const attr = d === 1 ? "" : `, last_step_bits = ${d}`;
    const t = (w: number) => `tensor<${XS.length}x!fhe.${signed ? "esint" : "eint"}<${w}>>`;
    const m = parse(`func.func @main(%x: ${t(P)}) -> ${t(Q)} {
  %r = fhe.round %x {method = "exact"${attr}} : (${t(P)}) -> ${t(Q)}
  return %r : ${t(Q)}
}`);
    const { params, constraints } = selectCryptoParameters(m);
    expect(constraints.filter((c) => c.kind !== "output").map((c) => c.precision)).toEqual([...new Array<number>(K - d + (d === 1 ? 1 : 0)).fill(1), ...(d === 1 ? [] : [d + Q])]);
    const rt = new TfheParameters(params);
    rt.assertSecure();
    const program = programFor(m, rt);
    expect(program.pbsPerSample).toBe(XS.length * (K - d + 1));
    const out = (await runEncrypted(await parties(program), [batchOf(1, [XS.length], XS)]))[0]!.data;
    expect(Array.from(out)).toEqual(XS.map((x) => Math.floor((x + 2 ** (K - 1)) / 2 ** K)));
  }, 300_000);
});
