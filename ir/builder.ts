// Builder API: creates ops at an insertion point (end of a block, or before an anchor op).
import type { Attribute, DenseAttr } from "./attributes.js";
import { type Block, FuncOp, type ModuleOp, Operation, type Value } from "./core.js";
import { type Location, unknownLoc } from "./diagnostics.js";
import { elementOf, type Type, tensor } from "./types.js";

export class Builder {
  private anchor: Operation | undefined;

  constructor(
    private block: Block,
    /** Location given to created ops unless one is passed explicitly. */
    public loc: Location = unknownLoc,
  ) {}

  static atEnd(block: Block, loc?: Location): Builder {
    return new Builder(block, loc);
  }

  static before(op: Operation, loc?: Location): Builder {
    if (!op.parent) throw new Error("Builder.before: op is not in a block");
    const b = new Builder(op.parent, loc ?? op.loc);
    b.anchor = op;
    return b;
  }

  create(
    name: string,
    operands: readonly Value[],
    resultTypes: readonly Type[],
    attributes: Iterable<[string, Attribute]> | Record<string, Attribute> = [],
    opts: { loc?: Location; names?: (string | undefined)[] } = {},
  ): Operation {
    const attrs = Symbol.iterator in attributes ? (attributes as Iterable<[string, Attribute]>) : Object.entries(attributes);
    const op = new Operation(name, operands, resultTypes, attrs, opts.loc ?? this.loc, opts.names ?? []);
    if (this.anchor) this.block.insertBefore(this.anchor, op);
    else this.block.append(op);
    return op;
  }

  /** `arith.constant` holding `value`; a 0-d value gives a scalar result. */
  constant(value: DenseAttr, name?: string): Value {
    const t: Type = value.type.shape.length === 0 ? elementOf(value.type) : tensor(value.type.shape, value.type.element);
    return this.create("arith.constant", [], [t], { value }, { names: [name] }).result;
  }

  ret(values: readonly Value[]): Operation {
    return this.create("func.return", values, []);
  }
}

/** Adds a function with the given argument types to a module; returns it and a builder at its end. */
export function addFunction(
  module: ModuleOp,
  name: string,
  args: readonly { type: Type; name?: string }[],
  resultTypes: Type[],
  loc: Location = unknownLoc,
): { func: FuncOp; builder: Builder } {
  const func = module.addFunc(new FuncOp(name, resultTypes, [], loc));
  for (const a of args) func.body.addArg(a.type, a.name);
  return { func, builder: Builder.atEnd(func.body, loc) };
}
