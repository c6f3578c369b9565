// The models bench reads fixtures from the bundled sets or from a folder laid out the same way
// (`--dir`: fresh draws of make_heldout_fixtures.py with FHEC_RESEED), by the same rules.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fixture, fixtureNames } from "../../bench/fixtures.js";

const heldout = join(import.meta.dirname, "..", "fixtures", "models_heldout");

describe("bench fixtures from a folder", () => {
  it("a folder lists the same models as the bundled set it holds, and loads them from there", () => {
    expect(fixtureNames("all", heldout)).toEqual(fixtureNames("heldout"));
    const f = fixture("heldout_mlp", heldout);
    expect(f.model).toBe(join(heldout, "heldout_mlp", "model.onnx"));
    expect(f.x.shape[0]).toBe(600);
  });
  it("a name the folder does not hold is an error naming the folder, even when a bundled set holds it", () => {
    expect(() => fixture("mlp", heldout)).toThrow(`bench: no fixture 'mlp' in ${heldout}`);
  });
});
