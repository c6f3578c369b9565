// The structure of an `ai.onnx.ml` tree ensemble, read once from its parallel attribute lists
// (nodes_*, class_* or target_*) and checked: the reference interpreter walks it, the `ml-expand`
// pass turns it into comparisons and matrix products. Either reads the same parse.
import type { OnnxAttrs } from "./onnx.js";
import { bad } from "./onnx.js";

export const NODE_MODES = ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ", "LEAF"] as const;
export type NodeMode = (typeof NODE_MODES)[number];

export interface LeafWeight {
  /** Target (regressor) or class index (classifier). */
  readonly output: number;
  readonly weight: number;
}

export interface TreeNode {
  readonly tree: number;
  readonly id: number;
  readonly mode: NodeMode;
  readonly feature: number;
  readonly threshold: number;
  /** Node indices of the children (branches only). */
  readonly trueChild: number;
  readonly falseChild: number;
  /** A NaN feature goes to the true child. */
  readonly missingTrue: boolean;
  /** Leaves only. */
  readonly weights: readonly LeafWeight[];
}

export interface TreeEnsemble {
  readonly nodes: readonly TreeNode[];
  /** The root node index of each tree, in increasing tree id. */
  readonly roots: readonly number[];
  /** Number of outputs (targets or classes). */
  readonly outputs: number;
  readonly base: readonly number[];
  /** Output indices that some leaf carries a weight for. */
  readonly weighted: ReadonlySet<number>;
  /** Every weight is ≥ 0 (decides onnxruntime's binary classifier form). */
  readonly weightsNonNegative: boolean;
}

function floatsOrTensor(a: OnnxAttrs, name: string): number[] {
  const t = a.has(`${name}_as_tensor`) ? a.dense(`${name}_as_tensor`) : undefined;
  return t ? [...t.data] : (a.floats(name) ?? []);
}

/** Reads and checks the ensemble; `features` bounds the feature ids, `outputs` the weight ids. */
export function parseTreeEnsemble(a: OnnxAttrs, opts: { classifier: boolean; features: number; outputs: number }): TreeEnsemble {
  const treeIds = a.ints("nodes_treeids") ?? [];
  const nodeIds = a.ints("nodes_nodeids") ?? [];
  const n = nodeIds.length;
  const list = <T>(name: string, values: T[] | undefined, fill?: T): T[] => {
    if (values === undefined || (values.length === 0 && fill !== undefined)) {
      if (fill === undefined) bad(`${name} is missing`);
      return new Array<T>(n).fill(fill);
    }
    if (values.length !== n) bad(`${name} has ${values.length} entries, nodes_nodeids has ${n}`);
    return values;
  };
  list("nodes_treeids", treeIds);
  const features = list("nodes_featureids", a.ints("nodes_featureids"));
  const modes = list("nodes_modes", a.strs("nodes_modes"));
  const thresholds = list("nodes_values", floatsOrTensor(a, "nodes_values"), 0);
  const trues = list("nodes_truenodeids", a.ints("nodes_truenodeids"));
  const falses = list("nodes_falsenodeids", a.ints("nodes_falsenodeids"));
  const missing = list("nodes_missing_value_tracks_true", a.ints("nodes_missing_value_tracks_true"), 0);

  const index = new Map<string, number>();
  const key = (t: number, id: number) => `${t}/${id}`;
  for (let i = 0; i < n; i++) {
    if (index.has(key(treeIds[i]!, nodeIds[i]!))) bad(`tree ${treeIds[i]} has node ${nodeIds[i]} twice`);
    index.set(key(treeIds[i]!, nodeIds[i]!), i);
  }

  const prefix = opts.classifier ? "class" : "target";
  const wTrees = a.ints(`${prefix}_treeids`) ?? [];
  const wNodes = a.ints(`${prefix}_nodeids`) ?? [];
  const wIds = a.ints(`${prefix}_ids`) ?? [];
  const wValues = floatsOrTensor(a, `${prefix}_weights`);
  if (wNodes.length !== wTrees.length || wIds.length !== wTrees.length || wValues.length !== wTrees.length) {
    bad(`${prefix}_treeids, ${prefix}_nodeids, ${prefix}_ids and ${prefix}_weights must have one entry per weight`);
  }
  const weights: LeafWeight[][] = Array.from({ length: n }, () => []);
  const weighted = new Set<number>();
  let nonNegative = true;
  wTrees.forEach((t, k) => {
    const at = index.get(key(t, wNodes[k]!));
    if (at === undefined) bad(`${prefix} weight ${k} is for node ${wNodes[k]} of tree ${t}, which does not exist`);
    if (modes[at] !== "LEAF") bad(`${prefix} weight ${k} is on node ${wNodes[k]} of tree ${t}, which is not a leaf`);
    const output = wIds[k]!;
    if (output < 0 || output >= opts.outputs) bad(`${prefix} weight ${k} is for output ${output}, but the model has ${opts.outputs}`);
    weights[at]!.push({ output, weight: wValues[k]! });
    weighted.add(output);
    if (wValues[k]! < 0) nonNegative = false;
  });

  const nodes: TreeNode[] = [];
  const children = new Set<number>();
  for (let i = 0; i < n; i++) {
    const mode = modes[i] as NodeMode;
    if (!(NODE_MODES as readonly string[]).includes(mode)) bad(`tree ${treeIds[i]} node ${nodeIds[i]}: mode '${mode}' is not one of ${NODE_MODES.join(", ")}`);
    let trueChild = -1;
    let falseChild = -1;
    if (mode !== "LEAF") {
      if (features[i]! < 0 || features[i]! >= opts.features) bad(`tree ${treeIds[i]} node ${nodeIds[i]} compares feature ${features[i]}, but the input has ${opts.features} features`);
      const child = (id: number, which: string) => {
        const at = index.get(key(treeIds[i]!, id));
        if (at === undefined) bad(`tree ${treeIds[i]} node ${nodeIds[i]}: ${which} child ${id} does not exist`);
        children.add(at);
        return at;
      };
      trueChild = child(trues[i]!, "true");
      falseChild = child(falses[i]!, "false");
    }
    nodes.push({ tree: treeIds[i]!, id: nodeIds[i]!, mode, feature: features[i]!, threshold: thresholds[i]!, trueChild, falseChild, missingTrue: missing[i] !== 0, weights: weights[i]! });
  }

  // One root per tree (the node no other node points to), and every tree is a tree.
  const rootOf = new Map<number, number>();
  nodes.forEach((node, i) => {
    if (children.has(i)) return;
    if (rootOf.has(node.tree)) bad(`tree ${node.tree} has two roots (nodes ${nodes[rootOf.get(node.tree)!]!.id} and ${node.id})`);
    rootOf.set(node.tree, i);
  });
  const trees = [...new Set(treeIds)].sort((x, y) => x - y);
  for (const t of trees) if (!rootOf.has(t)) bad(`tree ${t} has no root (its nodes form a cycle)`);
  const roots = trees.map((t) => rootOf.get(t)!);
  const seen = new Set<number>();
  for (const r of roots) {
    const stack = [r];
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (seen.has(i)) bad(`tree ${nodes[i]!.tree} reaches node ${nodes[i]!.id} twice (not a tree)`);
      seen.add(i);
      if (nodes[i]!.mode !== "LEAF") stack.push(nodes[i]!.trueChild, nodes[i]!.falseChild);
    }
  }

  const base = floatsOrTensor(a, "base_values");
  if (base.length !== 0 && base.length !== opts.outputs && !(opts.classifier && base.length === 1)) bad(`base_values has ${base.length} entries; expected 0 or ${opts.outputs}`);
  return { nodes, roots, outputs: opts.outputs, base, weighted, weightsNonNegative: nonNegative };
}

/** The decision of one branch node on a value, as onnxruntime takes it (NaN: missingTrue, or the comparison). */
export function takesTrueBranch(node: TreeNode, x: number): boolean {
  if (Number.isNaN(x) && node.missingTrue) return true;
  const t = node.threshold;
  switch (node.mode) {
    case "BRANCH_LEQ":
      return x <= t;
    case "BRANCH_LT":
      return x < t;
    case "BRANCH_GTE":
      return x >= t;
    case "BRANCH_GT":
      return x > t;
    case "BRANCH_EQ":
      return x === t;
    case "BRANCH_NEQ":
      return x !== t;
    default:
      throw new Error("takesTrueBranch on a leaf");
  }
}
