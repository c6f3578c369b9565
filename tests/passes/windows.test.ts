// Data-fitted table windows (fhe.rescale): what a read outside the window gives is defined (the
// torus keeps q+1 bits, the table reads negacyclically), identical in the clear backend and in FHE.
import { describe, expect, it } from "vitest";
import type { DenseAttr } from "../../ir/attributes.js";
import { annotateReadNoise, READ_OFFSET_ATTR, READ_STD_ATTR, selectCryptoParameters } from "../../passes/params/pass.js";
import { fitWindow } from "../../passes/windows.js";
import { TfheParameters } from "../../runtime/index.js";
import { batchOf, parse, parties, programFor, runEncrypted, simulateModule } from "../tfhe/helpers.js";
import { flipCountInterval } from "../helpers/flip_bounds.js";

// r = round((x − 0) / 2^2) read at 3 bits; T[i] = i + 1, a signed 5-bit result so that −T fits.
const TABLE = [1, 2, 3, 4, 5, 6, 7, 8];
const MODULE = `func.func @main(%x: tensor<12x!fhe.esint<10>>) -> tensor<12x!fhe.esint<5>> {
  %0 = fhe.rescale %x {offset = dense<0> : tensor<1xi64>, shift = dense<2> : tensor<1xi64>} : (tensor<12x!fhe.esint<10>>) -> tensor<12x!fhe.eint<3>>
  %1 = fhe.apply_lookup_table %0 {table = dense<[${TABLE.join(", ")}]> : tensor<8xi64>} : (tensor<12x!fhe.eint<3>>) -> tensor<12x!fhe.esint<5>>
  return %1 : tensor<12x!fhe.esint<5>>
}`;

/** The documented rule: r modulo 2^(q+1); the upper half reads −T[r − 2^q]. */
function expected(x: number): number {
  const r = Math.floor((x + 2) / 4);
  const w = ((r % 16) + 16) % 16;
  return w < 8 ? TABLE[w]! : -TABLE[w - 8]!;
}

// Inside the window (r = 0..7), above it (r = 8, 11, 15: negated entries), below it (r = −1, −3),
// and a full turn above (r = 16 reads T[0] again). Every x sits at a box centre: no rounding tie.
const XS = [0, 4, 16, 28, 32, 44, 60, -4, -12, 64, 8, 20];

describe("data-fitted windows", () => {
  it("the clear backend reads outside a window by the documented negacyclic rule", () => {
    const sim = simulateModule(MODULE, [batchOf(1, [12], XS)]);
    expect(Array.from(sim[0]!.data)).toEqual(XS.map(expected));
  });

  it("values driven outside their window give the same result in FHE as in the simulation, but for the one-box reads the parameters' noise allows", async () => {
    const m = parse(MODULE);
    const { params } = selectCryptoParameters(m, { pError: 2 ** -40 });
    const rt = new TfheParameters(params);
    rt.assertSecure();
    const party = await parties(programFor(m, rt));
    const xs = [...XS, ...XS.map((x) => -x)];
    const input = batchOf(2, [12], xs);
    const out = Array.from((await runEncrypted(party, [input]))[0]!.data);
    const sim = Array.from(simulateModule(MODULE, [input])[0]!.data);
    // An approximate read's parameters bound its noise at one step / κ, so a box-centre value (half
    // a step from both ties) lands in a neighbouring box now and then (about 4e-4 per read at the
    // bound): such a read gives the rule's result for r ± 1, and their count must stay inside the
    // noise model's interval; every other read equals the simulation.
    annotateReadNoise(m.funcs[0]!, [params]);
    const rescale = m.funcs[0]!.body.ops.find((op) => op.name === "fhe.rescale")!;
    const steps = 2 ** (3 + 1); // a 3-bit read: one step is 2^-(q+1) of the torus
    const sigma = (rescale.attr(READ_STD_ATTR) as DenseAttr).data;
    const reads = xs.map((_, i) => ({ fraction: 0, sigma: sigma[i % 12]! * steps }));
    const noise = { offset: (rescale.attr(READ_OFFSET_ATTR) as { value: number }).value };
    let neighbours = 0;
    for (let i = 0; i < xs.length; i++) {
      if (out[i] === sim[i]) continue;
      expect([expected(xs[i]! - 4), expected(xs[i]! + 4)], `x = ${xs[i]}`).toContain(out[i]);
      neighbours++;
    }
    expect(neighbours).toBeLessThanOrEqual(flipCountInterval(reads, noise, 1e-4).hi);
  });

  it("a window keeps every covered value at least half a step away from its rounding ties", () => {
    for (const [lo, hi, q, margin] of [[0, 100, 4, 0], [-37, 411, 5, 0.125], [5, 5, 3, 0.5], [-1000, 2000, 6, 0.25]] as const) {
      const w = fitWindow(lo, hi, q, margin, 20, { lo: -(2 ** 19), hi: 2 ** 19 - 1 })!;
      const span = Math.max(hi - lo, 1);
      const a = Math.floor(lo - margin * span);
      const b = Math.ceil(hi + margin * span);
      const step = 2 ** w.shift;
      const edge = w.offset - (w.shift > 0 ? step / 2 : 0); // first value of box 0
      if (w.shift === 0) {
        expect(a - edge).toBeGreaterThanOrEqual(0);
        expect(edge + 2 ** q - 1 - b).toBeGreaterThanOrEqual(0);
      } else {
        expect(a - edge).toBeGreaterThanOrEqual(step / 2);
        expect(edge + 2 ** (q + w.shift) - b).toBeGreaterThanOrEqual(step / 2);
        // The narrowest such window: one bit less shift could not hold the range.
        expect(b - a).toBeGreaterThan(2 ** (q + w.shift - 1) - 2 ** (w.shift - 1));
      }
    }
  });
});
