// Shared helpers for the tfhe backend tests: lower an fhe module (text or circuit) to a runnable
// tfhe program for a parameter set, and run it encrypted next to the clear simulation.
import { type BatchTensor, simulate } from "../../backends/clear/index.js";
import { type EncryptedInputs, type ExecuteOptions, TfheClient, TfheProgram, TfheServer } from "../../backends/tfhe/index.js";
import type { ModuleOp } from "../../ir/core.js";
import { CompileError } from "../../ir/diagnostics.js";
import { defaultRegistry } from "../../ir/dialects/index.js";
import { parseModule } from "../../ir/parser/index.js";
import { printModule } from "../../ir/printer.js";
import { verifyModule } from "../../ir/verifier.js";
import { lowerToTfhe } from "../../passes/lower_tfhe.js";
import { parametrizeTfhe } from "../../passes/tfhe_params.js";
import type { TfheParameters } from "../../runtime/index.js";

export function parse(text: string, file = "test.mlir"): ModuleOp {
  const parsed = parseModule(text, file, defaultRegistry);
  if (!parsed.module) throw new CompileError(parsed.diagnostics, new Map([[file, text]]));
  const v = verifyModule(parsed.module, defaultRegistry);
  if (v.hasErrors()) throw new CompileError(v.diagnostics, new Map([[file, text]]));
  return parsed.module;
}

/** A fresh copy of a module (lowering rewrites in place). */
export function cloneModule(m: ModuleOp): ModuleOp {
  return parse(printModule(m), "clone.mlir");
}

/** fhe module → lower-to-tfhe → tfhe-params(params) → verified TfheProgram (the input is not modified). */
export function programFor(fhe: ModuleOp | string, params: TfheParameters): TfheProgram {
  const m = typeof fhe === "string" ? parse(fhe) : cloneModule(fhe);
  // A hand-picked set is sized for the tables only: results stay under the big key (compacting
  // them is sound only under sets the optimizer chose counting that keyswitch).
  lowerToTfhe(m, { compactOutputs: false });
  parametrizeTfhe(m, params.raw());
  const v = verifyModule(m, defaultRegistry);
  if (v.hasErrors()) throw new CompileError(v.diagnostics);
  // Round-trip through text, as a deployed artifact would be.
  const reparsed = parse(printModule(m), "lowered.mlir");
  return TfheProgram.fromModule(reparsed, { insecureTestSets: [params] });
}

export interface Party {
  readonly program: TfheProgram;
  readonly client: TfheClient;
  readonly server: TfheServer;
}

export async function parties(program: TfheProgram): Promise<Party> {
  const { client, evaluationKeys } = await TfheClient.generate(program.clientSpec());
  const server = await TfheServer.create(program, evaluationKeys);
  return { program, client, server };
}

export async function runEncrypted(p: Party, inputs: readonly BatchTensor[], opts: ExecuteOptions = {}): Promise<BatchTensor[]> {
  const enc: EncryptedInputs = p.client.encrypt(inputs);
  const out = await p.server.run(enc, opts);
  return p.client.decrypt(out);
}

export function simulateModule(m: ModuleOp | string, inputs: readonly BatchTensor[]): BatchTensor[] {
  const mod = typeof m === "string" ? parse(m) : m;
  return simulate(mod.funcs[0]!, inputs);
}

export const batchOf = (batch: number, shape: number[], values: number[]): BatchTensor => ({ batch, shape, data: Float64Array.from(values) });

/** Deterministic pseudo-random integers in [lo, hi] (test data only). */
export function randomInts(count: number, lo: number, hi: number, seed = 1): number[] {
  let s = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out.push(lo + (s % (hi - lo + 1)));
  }
  return out;
}

/**
 * A circuit that negates a 3-vector of esint<4>. `withSecondInput` adds a second input, two
 * eint<2> it sums and drops: a batch of two inputs of two widths for the container tests.
 */
export function negationCircuit(withSecondInput = false): string {
  const second = withSecondInput ? ", %y: tensor<2x!fhe.eint<2>>" : "";
  const sum = withSecondInput ? "\n    %s = fhe.sum %y {axes = [], keep_dims = false} : (tensor<2x!fhe.eint<2>>) -> !fhe.eint<2>" : "";
  return `module {
  func.func @main(%x: tensor<3x!fhe.esint<4>>${second}) -> tensor<3x!fhe.esint<4>> {${sum}
    %r = fhe.neg_eint %x : (tensor<3x!fhe.esint<4>>) -> tensor<3x!fhe.esint<4>>
    return %r : tensor<3x!fhe.esint<4>>
  }
}`;
}
