// Validation and indexing of an ONNX graph (an index arena over the protobuf, which stays
// untouched): unique names, one producer per value, known inputs, declared graph outputs, no
// cycles, supported opset domains. Produces the nodes in topological order.
import { fail, type Location } from "../../ir/diagnostics.js";
import { dialectOfDomain } from "../../ir/dialects/onnx_decls.js";
import { ML_OPSETS } from "../../ir/dialects/onnx_ml.js";
import { type GraphProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto, toNum } from "./proto.js";

export const MIN_OPSET = 11;
export const MAX_OPSET = 21;

export interface NodeInfo {
  readonly index: number;
  readonly proto: NodeProto;
  /** The node's name, or `<OpType>_<index>` when the file leaves it empty. */
  readonly name: string;
  readonly opType: string;
  /** `onnx` (default domain) or `onnx_ml` (`ai.onnx.ml`): the dialect of its IR op. */
  readonly dialect: "onnx" | "onnx_ml";
  /** Inputs as written ("" marks an omitted optional input). */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly loc: Location;
}

export interface GraphIndex {
  readonly graph: GraphProto;
  readonly opset: number;
  /** The `ai.onnx.ml` opset, when the model imports that domain. */
  readonly mlOpset?: number;
  /** Nodes in a topological order (stable: file order where possible). */
  readonly nodes: readonly NodeInfo[];
  readonly producer: ReadonlyMap<string, NodeInfo>;
  readonly initializers: ReadonlyMap<string, TensorProto>;
  /** Graph inputs that are not initializers: the function's arguments. */
  readonly inputs: readonly ValueInfoProto[];
  readonly outputs: readonly string[];
  /** How many node inputs and graph outputs read each value. */
  readonly useCount: ReadonlyMap<string, number>;
}

export const nodeLoc = (name: string, opType: string): Location => ({ kind: "onnx", node: name, opType });

const isDefaultDomain = (d: string | null | undefined) => !d || d === "ai.onnx";

/** The model's default-domain opset, checked to lie in [MIN_OPSET, MAX_OPSET]. */
export function defaultOpset(model: ModelProto, file: string): number {
  const imports = model.opsetImport ?? [];
  const def = imports.find((o) => isDefaultDomain(o.domain));
  if (!def) fail("E0500", `${file}: the model imports no opset for the default ONNX domain ('ai.onnx')`);
  const v = toNum(def.version);
  if (v < MIN_OPSET || v > MAX_OPSET) {
    fail("E0502", `${file}: opset ${v} is not supported; fhec imports opsets ${MIN_OPSET} to ${MAX_OPSET} (convert the model with onnx.version_converter)`);
  }
  return v;
}

/** The model's `ai.onnx.ml` opset (undefined when not imported), checked against ML_OPSETS. */
function mlOpset(model: ModelProto, file: string): number | undefined {
  const ml = (model.opsetImport ?? []).find((o) => o.domain === "ai.onnx.ml");
  if (!ml) return undefined;
  const v = toNum(ml.version);
  if (v < ML_OPSETS.min || v > ML_OPSETS.max) {
    fail("E0502", `${file}: ai.onnx.ml opset ${v} is not supported; fhec imports ai.onnx.ml opsets ${ML_OPSETS.min} to ${ML_OPSETS.max} (skl2onnx: target_opset={'': 17, 'ai.onnx.ml': 3})`);
  }
  return v;
}

export function indexGraph(model: ModelProto, file: string): GraphIndex {
  const opset = defaultOpset(model, file);
  const ml = mlOpset(model, file);
  const graph = model.graph;
  if (!graph) return fail("E0500", `${file}: the model has no graph`);
  const fileLoc: Location = { kind: "unknown" };
  const where = (what: string) => `${file}: ${what}`;
  /** An initializer's, graph input's or output's name: present, and not yet in `seen`. */
  const uniqueName = (name: string | null | undefined, seen: { has(name: string): boolean }, kind: "initializer" | "graph input" | "graph output"): string => {
    if (!name) fail("E0500", where(`${kind === "initializer" ? "an" : "a"} ${kind} has no name`), fileLoc);
    if (seen.has(name)) fail("E0500", where(`duplicate ${kind} name '${name}'`), fileLoc);
    return name;
  };

  // Values defined outside nodes.
  const defined = new Map<string, string>(); // value → what defines it
  const initializers = new Map<string, TensorProto>();
  for (const t of graph.initializer ?? []) {
    const name = uniqueName(t.name, initializers, "initializer");
    initializers.set(name, t);
    defined.set(name, `initializer '${name}'`);
  }
  if ((graph.sparseInitializer ?? []).length > 0) fail("E0502", where("sparse initializers are not supported"), fileLoc);
  const inputs: ValueInfoProto[] = [];
  const inputNames = new Set<string>();
  for (const vi of graph.input ?? []) {
    const name = uniqueName(vi.name, inputNames, "graph input");
    inputNames.add(name);
    if (initializers.has(name)) continue; // IR < 4 lists initializers as inputs too
    inputs.push(vi);
    defined.set(name, `graph input '${name}'`);
  }
  if (inputs.length === 0) fail("E0500", where("the graph has no inputs (every input is an initializer)"), fileLoc);

  // Nodes: names, domains, producers.
  const nodes: NodeInfo[] = [];
  const nodeNames = new Set<string>();
  const producer = new Map<string, NodeInfo>();
  (graph.node ?? []).forEach((proto, index) => {
    const opType = proto.opType ?? "";
    const name = proto.name || `${opType || "node"}_${index}`;
    const loc = nodeLoc(name, opType);
    if (!opType) fail("E0500", `node #${index} has no op type`, loc);
    if (proto.name) {
      if (nodeNames.has(proto.name)) fail("E0500", `duplicate node name '${proto.name}'`, loc);
      nodeNames.add(proto.name);
    }
    const dialect = dialectOfDomain(proto.domain);
    if (!dialect) {
      fail("E0502", `node '${name}' (${opType}) is in opset domain '${proto.domain}'; fhec supports the default ONNX domain ('ai.onnx') and 'ai.onnx.ml'`, loc);
    }
    if (dialect === "onnx_ml" && ml === undefined) fail("E0500", `node '${name}' (${opType}) is in domain 'ai.onnx.ml', which the model does not import`, loc);
    const info: NodeInfo = { index, proto, name, opType, dialect, inputs: [...(proto.input ?? [])], outputs: [...(proto.output ?? [])], loc };
    for (const out of info.outputs) {
      if (!out) continue;
      const prev = producer.get(out);
      if (prev) fail("E0500", `value '${out}' is produced by several nodes: '${prev.name}' (${prev.opType}) and '${name}' (${opType})`, loc);
      const other = defined.get(out);
      if (other) fail("E0500", `node '${name}' (${opType}) writes '${out}', which is already the ${other}`, loc);
      producer.set(out, info);
    }
    nodes.push(info);
  });

  // Every read value exists; count uses.
  const useCount = new Map<string, number>();
  for (const n of nodes) {
    for (const inp of n.inputs) {
      if (!inp) continue;
      if (!defined.has(inp) && !producer.has(inp)) {
        fail("E0500", `node '${n.name}' (${n.opType}) reads '${inp}', which is not a graph input, an initializer or the output of any node`, n.loc);
      }
      useCount.set(inp, (useCount.get(inp) ?? 0) + 1);
    }
  }
  const outputs: string[] = [];
  const outputSet = new Set<string>();
  for (const vi of graph.output ?? []) {
    const name = uniqueName(vi.name, outputSet, "graph output");
    if (!defined.has(name) && !producer.has(name)) fail("E0500", where(`graph output '${name}' is not produced by any node, input or initializer`), fileLoc);
    outputSet.add(name);
    outputs.push(name);
    useCount.set(name, (useCount.get(name) ?? 0) + 1);
  }
  if (outputs.length === 0) fail("E0500", where("the graph has no outputs"), fileLoc);

  return { graph, opset, ...(ml !== undefined ? { mlOpset: ml } : {}), nodes: topoSort(nodes, producer), producer, initializers, inputs, outputs, useCount };
}

/** Kahn's algorithm, taking ready nodes in file order; a leftover node lies on (or after) a cycle. */
function topoSort(nodes: readonly NodeInfo[], producer: ReadonlyMap<string, NodeInfo>): NodeInfo[] {
  const pending = new Map<NodeInfo, number>();
  const dependents = new Map<NodeInfo, NodeInfo[]>();
  for (const n of nodes) {
    const deps = new Set<NodeInfo>();
    for (const inp of n.inputs) {
      const p = inp ? producer.get(inp) : undefined;
      if (p) deps.add(p);
    }
    pending.set(n, deps.size);
    for (const d of deps) dependents.set(d, [...(dependents.get(d) ?? []), n]);
  }
  const ready = nodes.filter((n) => pending.get(n) === 0);
  const order: NodeInfo[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => a.index - b.index);
    const n = ready.shift()!;
    order.push(n);
    for (const d of dependents.get(n) ?? []) {
      const left = pending.get(d)! - 1;
      pending.set(d, left);
      if (left === 0) ready.push(d);
    }
  }
  if (order.length < nodes.length) {
    const stuck = nodes.filter((n) => pending.get(n)! > 0);
    // Walk back along unresolved inputs until a node repeats: that node is on a cycle.
    let cur = stuck[0]!;
    const seen = new Set<NodeInfo>();
    while (!seen.has(cur)) {
      seen.add(cur);
      const next = cur.inputs.map((i) => producer.get(i)).find((p) => p !== undefined && pending.get(p)! > 0);
      if (!next) break;
      cur = next;
    }
    const cycle: NodeInfo[] = [];
    let c: NodeInfo | undefined = cur;
    while (c && !cycle.includes(c)) {
      cycle.push(c);
      c = c.inputs.map((i) => producer.get(i)).find((p) => p !== undefined && pending.get(p)! > 0);
    }
    // Dataflow order, starting at the node that comes first in the file.
    cycle.reverse();
    const first = cycle.reduce((best, n, i) => (n.index < cycle[best]!.index ? i : best), 0);
    const ordered = [...cycle.slice(first), ...cycle.slice(0, first)];
    const text = [...ordered, ordered[0]!].map((n) => `'${n.name}'`).join(" → ");
    fail("E0500", `the graph has a cycle through node(s) ${text}`, ordered[0]!.loc);
  }
  return order;
}
