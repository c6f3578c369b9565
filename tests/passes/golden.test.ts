// Golden pass tests: tests/passes/<pass>/<case>.mlir is run through `fhec opt --passes=<pass>
// --verify-each`, and the output must equal <case>.expected.mlir (UPDATE_GOLDEN=1 regenerates).
// An optional <case>.pipeline sidecar holds the whole `--passes=` value instead (pass options).
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";
import { expectGolden } from "../helpers/golden.js";

const root = import.meta.dirname;
const passDirs = readdirSync(root).filter((d) => statSync(join(root, d)).isDirectory());

for (const pass of passDirs) {
  describe(pass, () => {
    const cases = readdirSync(join(root, pass)).filter((f) => f.endsWith(".mlir") && !f.endsWith(".expected.mlir"));
    for (const file of cases) {
      it(file, async () => {
        const input = join(root, pass, file);
        const sidecar = input.replace(/\.mlir$/, ".pipeline");
        const pipeline = existsSync(sidecar) ? readFileSync(sidecar, "utf8").trim() : pass;
        const r = await cli("opt", input, `--passes=${pipeline}`, "--verify-each");
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        expectGolden(r.stdout, input.replace(/\.mlir$/, ".expected.mlir"));
      });
    }
  });
}
