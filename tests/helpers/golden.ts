// Golden-file comparison with a regenerate flag: `UPDATE_GOLDEN=1 npx vitest run` rewrites
// expected files from the current output instead of comparing.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { expect } from "vitest";

export const updateGolden = process.env["UPDATE_GOLDEN"] === "1";

export function expectGolden(actual: string, expectedPath: string): void {
  if (updateGolden || !existsSync(expectedPath)) {
    if (!updateGolden) throw new Error(`missing golden file ${expectedPath} (run with UPDATE_GOLDEN=1 to create it)`);
    writeFileSync(expectedPath, actual);
    return;
  }
  expect(actual).toBe(readFileSync(expectedPath, "utf8"));
}
