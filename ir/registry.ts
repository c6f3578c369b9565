// The op registry: name → declaration. Built once from the dialect files; read-only afterwards.
import { NamedRegistry } from "./named_registry.js";
import type { OpDef } from "./opdef.js";

export class OpRegistry extends NamedRegistry<OpDef> {
  constructor() {
    super("op");
  }

  dialect(prefix: string): OpDef[] {
    return this.all().filter((d) => d.name.startsWith(prefix + "."));
  }

  /** Names that resemble `name` (same dialect first), for "did you mean" hints. */
  suggest(name: string): string[] {
    const lower = name.toLowerCase();
    const dialect = lower.slice(0, Math.max(0, lower.indexOf(".")));
    const suffix = lower.slice(lower.indexOf(".") + 1);
    return this.all()
      .map((d) => d.name)
      .filter((n) => {
        const s = n.toLowerCase();
        return s.endsWith("." + suffix) || (suffix.length >= 3 && s.includes(suffix));
      })
      .sort((a, b) => Number(!a.toLowerCase().startsWith(dialect + ".")) - Number(!b.toLowerCase().startsWith(dialect + ".")))
      .slice(0, 3);
  }
}
