// `func` dialect: the function terminator. Functions themselves are structural (ir/core.ts FuncOp).
import { anyType } from "../constraints.js";
import { defineOp } from "../opdef.js";

export const funcReturn = defineOp({
  name: "func.return",
  summary: "Returns values from the enclosing function; printed as `return %a, %b : T1, T2`.",
  operands: [{ name: "values", type: anyType, arity: "variadic" }],
  traits: ["terminator"],
  examples: {
    ok: `func.func @id(%x: !fhe.eint<3>) -> !fhe.eint<3> {
  return %x : !fhe.eint<3>
}`,
    error: {
      text: `func.func @id(%x: !fhe.eint<3>) -> !fhe.eint<4> {
  return %x : !fhe.eint<3>
}`,
      message: "returned types (!fhe.eint<3>) differ from the function's result types (!fhe.eint<4>)",
    },
  },
});

export const funcDialect = [funcReturn];
