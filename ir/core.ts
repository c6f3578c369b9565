// SSA values, operations, blocks, functions and modules. Operations are generic (a name plus
// operands, results and attributes); what an op means lives in its declaration (ir/opdef.ts).
import type { Attribute } from "./attributes.js";
import { type Location, unknownLoc } from "./diagnostics.js";
import type { Type } from "./types.js";

export interface Use {
  readonly op: Operation;
  readonly index: number;
}

export type ValueDef =
  | { readonly kind: "result"; readonly op: Operation; readonly index: number }
  | { readonly kind: "arg"; readonly block: Block; readonly index: number };

export class Value {
  /** Operands that read this value; kept up to date by Operation. */
  readonly uses: Use[] = [];

  constructor(
    public type: Type,
    public def: ValueDef | undefined,
    /** Preferred printed name (without `%`); the printer makes names unique. */
    public nameHint?: string,
  ) {}

  get definingOp(): Operation | undefined {
    return this.def?.kind === "result" ? this.def.op : undefined;
  }

  hasOneUse(): boolean {
    return this.uses.length === 1;
  }

  replaceAllUsesWith(other: Value): void {
    if (other === this) return;
    for (const use of [...this.uses]) use.op.setOperand(use.index, other);
  }
}

export class Operation {
  readonly operands: Value[] = [];
  readonly results: Value[];
  readonly attributes: Map<string, Attribute>;
  parent: Block | undefined;

  constructor(
    readonly name: string,
    operands: readonly Value[],
    resultTypes: readonly Type[],
    attributes: Iterable<[string, Attribute]> = [],
    public loc: Location = unknownLoc,
    resultNames: readonly (string | undefined)[] = [],
  ) {
    operands.forEach((v, i) => {
      this.operands.push(v);
      v.uses.push({ op: this, index: i });
    });
    this.results = resultTypes.map((t, i) => new Value(t, { kind: "result", op: this, index: i }, resultNames[i]));
    this.attributes = new Map(attributes);
  }

  get dialect(): string {
    const dot = this.name.indexOf(".");
    return dot < 0 ? "" : this.name.slice(0, dot);
  }

  get result(): Value {
    if (this.results.length !== 1) throw new Error(`${this.name} has ${this.results.length} results, not 1`);
    return this.results[0]!;
  }

  attr(name: string): Attribute | undefined {
    return this.attributes.get(name);
  }

  setOperand(index: number, value: Value): void {
    const old = this.operands[index];
    if (old === value) return;
    if (old) {
      const at = old.uses.findIndex((u) => u.op === this && u.index === index);
      if (at >= 0) old.uses.splice(at, 1);
    }
    this.operands[index] = value;
    value.uses.push({ op: this, index });
  }

  /** Unlinks the operands (their use lists forget this op). Results must be unused. */
  dropOperands(): void {
    for (let i = 0; i < this.operands.length; i++) {
      const v = this.operands[i]!;
      const at = v.uses.findIndex((u) => u.op === this && u.index === i);
      if (at >= 0) v.uses.splice(at, 1);
    }
    this.operands.length = 0;
  }

  /** Removes the op from its block. Its results must have no uses left. */
  erase(): void {
    for (const r of this.results) {
      if (r.uses.length > 0) throw new Error(`erasing ${this.name} whose result is still used`);
    }
    this.dropOperands();
    this.parent?.remove(this);
  }
}

export class Block {
  readonly args: Value[] = [];
  readonly ops: Operation[] = [];

  addArg(type: Type, nameHint?: string): Value {
    const v = new Value(type, { kind: "arg", block: this, index: this.args.length }, nameHint);
    this.args.push(v);
    return v;
  }

  append(op: Operation): Operation {
    op.parent = this;
    this.ops.push(op);
    return op;
  }

  insertBefore(anchor: Operation, op: Operation): Operation {
    const at = this.ops.indexOf(anchor);
    if (at < 0) throw new Error("insertBefore: anchor not in block");
    op.parent = this;
    this.ops.splice(at, 0, op);
    return op;
  }

  remove(op: Operation): void {
    const at = this.ops.indexOf(op);
    if (at >= 0) this.ops.splice(at, 1);
    op.parent = undefined;
  }

  get terminator(): Operation | undefined {
    return this.ops[this.ops.length - 1];
  }
}

export class FuncOp {
  readonly body = new Block();
  readonly attributes: Map<string, Attribute>;

  constructor(
    public name: string,
    public resultTypes: Type[],
    attributes: Iterable<[string, Attribute]> = [],
    public loc: Location = unknownLoc,
  ) {
    this.attributes = new Map(attributes);
  }

  get args(): Value[] {
    return this.body.args;
  }

  get argTypes(): Type[] {
    return this.body.args.map((a) => a.type);
  }
}

export class ModuleOp {
  readonly funcs: FuncOp[] = [];
  readonly attributes: Map<string, Attribute>;

  constructor(
    attributes: Iterable<[string, Attribute]> = [],
    public loc: Location = unknownLoc,
  ) {
    this.attributes = new Map(attributes);
  }

  addFunc(f: FuncOp): FuncOp {
    this.funcs.push(f);
    return f;
  }

  func(name: string): FuncOp | undefined {
    return this.funcs.find((f) => f.name === name);
  }
}

/** Every op of every function, in order. */
export function* walkOps(module: ModuleOp): Generator<Operation> {
  for (const f of module.funcs) yield* f.body.ops;
}

/**
 * A copy of a module with fresh ops and values (attribute objects are shared: passes replace
 * attributes rather than mutate them). Functions have flat bodies, so one pass per function does.
 */
export function cloneModule(module: ModuleOp): ModuleOp {
  const out = new ModuleOp(module.attributes, module.loc);
  for (const f of module.funcs) {
    const g = out.addFunc(new FuncOp(f.name, [...f.resultTypes], f.attributes, f.loc));
    const map = new Map<Value, Value>();
    for (const a of f.args) map.set(a, g.body.addArg(a.type, a.nameHint));
    for (const op of f.body.ops) {
      const copy = new Operation(
        op.name,
        op.operands.map((v) => map.get(v) ?? v),
        op.results.map((r) => r.type),
        op.attributes,
        op.loc,
        op.results.map((r) => r.nameHint),
      );
      op.results.forEach((r, i) => map.set(r, copy.results[i]!));
      g.body.append(copy);
    }
  }
  return out;
}
