// The op registry: name → declaration. Built once from the dialect files; read-only afterwards.
import type { OpDef } from "./opdef.js";

export class OpRegistry {
  private readonly defs = new Map<string, OpDef>();

  register(...defs: OpDef[]): this {
    for (const def of defs) {
      if (this.defs.has(def.name)) throw new Error(`op '${def.name}' declared twice`);
      this.defs.set(def.name, def);
    }
    return this;
  }

  get(name: string): OpDef | undefined {
    return this.defs.get(name);
  }

  has(name: string): boolean {
    return this.defs.has(name);
  }

  all(): OpDef[] {
    return [...this.defs.values()];
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
