// A tree ensemble as comparisons and matrix products (the GEMM form), which the quantizer and the
// `comparisons` pass already lower cheaply: every comparison is a 1–2-bit table after rounding,
// never one wide table per node.
//
//   c = [x[f_j] ≤ t_j]  for every distinct (feature, threshold) pair j   (MatMul one-hot, LessOrEqual)
//   reached_ℓ = [Σ_j W[j, ℓ] c_j ≥ D_ℓ]  for every leaf ℓ (never above D_ℓ) (MatMul, GreaterOrEqual)
//   outputs = reached · E                                                (MatMul)
//
// Every node mode is a ≤ comparison on the input's float type: x < t is x ≤ pred(t), the largest
// float below t (exact for inputs of that type); x ≥ t and x > t are 1 − (x < t) and 1 − (x ≤ t);
// x = t is (x ≤ t) − (x < t); x ≠ t is 1 minus that. So each node's decision d_k ∈ {0, 1} is an
// integer combination of the c_j plus a constant, and a leaf's path agreement
// Σ_path (took true ? d_k : 1 − d_k) is one as well; it equals the path length exactly on the
// leaf the row reaches. NaN inputs never reach the circuit (fhec refuses them), so
// missing_value_tracks_true has no effect here.
import type { TreeEnsemble, TreeNode } from "../../ir/dialects/tree_ensemble.js";

export interface GemmTrees {
  /** Distinct comparisons: feature and the threshold of `x ≤ threshold`. */
  readonly features: number[];
  readonly thresholds: number[];
  /** [comparisons × leaves] path coefficients, row-major. */
  readonly paths: Float64Array;
  /** Per leaf: the value of Σ_j paths[j, ℓ] c_j on exactly the rows that reach it. */
  readonly targets: Float64Array;
  /** Node index of each leaf column, and the tree (position in `roots`) it belongs to. */
  readonly leaves: number[];
  readonly leafTree: number[];
}

/** The largest value of the float type strictly below t. */
export function floatBelow(t: number, width: 32 | 64): number {
  if (width === 64) {
    if (t === 0) return -Number.MIN_VALUE;
    const buf = new DataView(new ArrayBuffer(8));
    buf.setFloat64(0, t);
    const bits = buf.getBigInt64(0);
    buf.setBigInt64(0, t > 0 ? bits - 1n : bits + 1n);
    return buf.getFloat64(0);
  }
  if (t === 0) return -(2 ** -149);
  const buf = new DataView(new ArrayBuffer(4));
  buf.setFloat32(0, t);
  const bits = buf.getInt32(0);
  buf.setInt32(0, t > 0 ? bits - 1 : bits + 1);
  return buf.getFloat32(0);
}

/** d = constant + Σ coef · c_j over comparison ids. */
interface Decision {
  readonly constant: number;
  readonly terms: readonly { readonly id: number; readonly coef: number }[];
}

export function gemmTrees(ens: TreeEnsemble, width: 32 | 64): GemmTrees {
  const features: number[] = [];
  const thresholds: number[] = [];
  const ids = new Map<string, number>();
  const cmp = (feature: number, threshold: number): number => {
    const t = width === 32 ? Math.fround(threshold) : threshold;
    const key = `${feature}:${t}`;
    let id = ids.get(key);
    if (id === undefined) {
      id = features.length;
      ids.set(key, id);
      features.push(feature);
      thresholds.push(t);
    }
    return id;
  };
  const decision = (node: TreeNode): Decision => {
    const t = width === 32 ? Math.fround(node.threshold) : node.threshold;
    const le = () => cmp(node.feature, t);
    const lt = () => cmp(node.feature, floatBelow(t, width));
    switch (node.mode) {
      case "BRANCH_LEQ":
        return { constant: 0, terms: [{ id: le(), coef: 1 }] };
      case "BRANCH_LT":
        return { constant: 0, terms: [{ id: lt(), coef: 1 }] };
      case "BRANCH_GTE":
        return { constant: 1, terms: [{ id: lt(), coef: -1 }] };
      case "BRANCH_GT":
        return { constant: 1, terms: [{ id: le(), coef: -1 }] };
      case "BRANCH_EQ":
        return { constant: 0, terms: [{ id: le(), coef: 1 }, { id: lt(), coef: -1 }] };
      case "BRANCH_NEQ":
        return { constant: 1, terms: [{ id: le(), coef: -1 }, { id: lt(), coef: 1 }] };
      default:
        throw new Error("decision of a leaf");
    }
  };

  // Each leaf's path: the decisions it needs, as (constant, terms) of its agreement sum.
  const leaves: number[] = [];
  const leafTree: number[] = [];
  const sums: { constant: number; coef: Map<number, number>; length: number }[] = [];
  ens.roots.forEach((root, tree) => {
    const walk = (i: number, constant: number, coef: Map<number, number>, length: number): void => {
      const node = ens.nodes[i]!;
      if (node.mode === "LEAF") {
        leaves.push(i);
        leafTree.push(tree);
        sums.push({ constant, coef, length });
        return;
      }
      const d = decision(node);
      const add = (sign: number) => {
        const next = new Map(coef);
        for (const { id, coef: c } of d.terms) next.set(id, (next.get(id) ?? 0) + sign * c);
        return next;
      };
      // True branch adds d; false branch adds 1 − d.
      walk(node.trueChild, constant + d.constant, add(1), length + 1);
      walk(node.falseChild, constant + 1 - d.constant, add(-1), length + 1);
    };
    walk(root, 0, new Map(), 0);
  });
  const paths = new Float64Array(features.length * leaves.length);
  const targets = new Float64Array(leaves.length);
  sums.forEach((s, l) => {
    for (const [id, c] of s.coef) paths[id * leaves.length + l] = c;
    targets[l] = s.length - s.constant;
  });
  return { features, thresholds, paths, targets, leaves, leafTree };
}
