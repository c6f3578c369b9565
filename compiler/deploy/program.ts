// From a compiled circuit to the program the TFHE backend runs: lower `fhe` → `tfhe` with open
// parameters, fill them from the circuit's parameter set, and check the result.
import type { ModuleOp } from "../../ir/core.js";
import { CompileError } from "../../ir/diagnostics.js";
import { defaultRegistry } from "../../ir/dialects/index.js";
import { parseModule } from "../../ir/parser/index.js";
import { printModule } from "../../ir/printer.js";
import { TfheProgram } from "../../backends/tfhe/index.js";
import { lowerToTfhe } from "../../passes/lower_tfhe.js";
import { parametrizeTfhe } from "../../passes/tfhe_params.js";
import { verifyModule } from "../../ir/verifier.js";

/** The circuit's server program (the circuit's module is left untouched). */
export function lowerCircuit(circuit: { readonly module: ModuleOp }): TfheProgram {
  const copy = parseModule(printModule(circuit.module), "<circuit>", defaultRegistry).module!;
  lowerToTfhe(copy);
  parametrizeTfhe(copy);
  const v = verifyModule(copy, defaultRegistry);
  if (v.hasErrors()) throw new CompileError(v.diagnostics);
  return TfheProgram.fromModule(copy);
}
