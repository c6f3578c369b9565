// A table of named declarations (ops, passes): each name registered once, then looked up.
export class NamedRegistry<T extends { readonly name: string }> {
  private readonly entries = new Map<string, T>();

  /** `kind` names an entry in the duplicate-name error ("op", "pass"). */
  constructor(private readonly kind: string) {}

  register(...items: T[]): this {
    for (const item of items) {
      if (this.entries.has(item.name)) throw new Error(`${this.kind} '${item.name}' registered twice`);
      this.entries.set(item.name, item);
    }
    return this;
  }

  get(name: string): T | undefined {
    return this.entries.get(name);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  all(): T[] {
    return [...this.entries.values()];
  }
}
