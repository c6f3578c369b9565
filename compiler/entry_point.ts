// Whether a module is the script Node was started with (`node path/to/module.js`), so that a file
// can be both imported and run; the paths compare after links resolve (npm's bin links, symlinked
// checkouts).
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

export function isEntryPoint(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}
