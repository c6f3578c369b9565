// Whether a pending univariate chain (a DeferredRepr's steps) is non-decreasing in every element:
// what lets MaxPool run on the chain's source codes and apply the chain once per pooled output
// (max(f(a), f(b)) = f(max(a, b)) for a non-decreasing f).
import type { NDArray } from "../../ir/tensor.js";
import { at, bitsOfInterval, type ChainStep, type DeferredRepr } from "./repr.js";
import { product } from "./lower_util.js";

/**
 * Steps monotone in their encrypted operand, in one direction per element whatever their
 * constants. Div is monotone only as x / c.
 */
const MONOTONE_STEPS = new Set(["Add", "BatchNormalization", "Ceil", "Clip", "Div", "Exp", "Floor", "HardSigmoid", "Identity", "Mul", "Neg", "Relu", "Round", "Sigmoid", "Softplus", "Sub", "Tanh"]);

/** Bits of the grid on which a chain's direction is checked (any grid holding both ends will do). */
const SCAN_BITS = 12;

/**
 * A step monotone in its encrypted operand whose constants are per channel at most (they
 * broadcast over any spatial size, so the step applies unchanged to a pooled tensor).
 */
function monotoneStep(s: ChainStep, rank: number): boolean {
  const type = s.op.name.slice(5);
  if (!MONOTONE_STEPS.has(type) || (type === "Div" && s.flowIndex !== 0)) return false;
  if (type === "BatchNormalization") return true; // its parameters are [C] by definition
  return s.constants.every((c) => {
    if (!c) return true;
    const dims = c.shape;
    if (dims.length > rank) return false;
    // Aligned to the right of [N, C, H, W]: the spatial dims present must be 1.
    return dims.every((d, i) => d === 1 || i + (rank - dims.length) < rank - 2);
  });
}

/**
 * Whether the chain is non-decreasing in every element over the reachable codes of its source
 * and applies unchanged after spatial pooling. Each allowed step is monotone, so the composition
 * is monotone per element, and a scan of the codes from lo to hi finds its direction (a
 * non-increasing function that never decreases on the scan is constant).
 */
export function poolableChain(d: DeferredRepr, run: (steps: readonly ChainStep[], x: NDArray) => NDArray): boolean {
  const src = d.src;
  if (src.shape.length !== 4 || d.integerCode || !d.steps.every((s) => monotoneStep(s, src.shape.length))) return false;
  const per = product(src.shape);
  const k = Math.max(0, bitsOfInterval(src.lo, src.hi) - SCAN_BITS);
  const codes: number[] = [];
  for (let v = Math.floor(src.lo / 2 ** k) * 2 ** k; v < src.hi; v += 2 ** k) codes.push(Math.max(v, src.lo));
  codes.push(src.hi);
  const reals = new Float64Array(codes.length * per);
  codes.forEach((v, t) => {
    for (let e = 0; e < per; e++) reals[t * per + e] = at(src.scale, e) * (v - at(src.zeroPoint, e));
  });
  const y = run(d.steps, { shape: [codes.length, ...src.shape.slice(1)], data: reals });
  for (let t = 1; t < codes.length; t++) {
    for (let e = 0; e < per; e++) if (y.data[t * per + e]! < y.data[(t - 1) * per + e]!) return false;
  }
  return true;
}
