// `tfhe` dialect: ciphertext level after lowering. Tensors of LWE ciphertexts, linear ops with clear
// integer weights, keyswitch (big key → small key) and programmable bootstrap (small → big).
// Crypto parameters are attributes: "?" (open, written by lowering) or a dictionary filled in by
// the parameter-selection pass.
import { type Attribute, type DenseAttr } from "../attributes.js";
import { clearInt, clearIntTensor, dimsToString, lweCiphertexts, lweTensor, verifyBroadcastResult, verifySameEncryptedType, checkAll } from "../constraints.js";
import type { Operation } from "../core.js";
import { defineOp, type OpDef, type VerifyReporter } from "../opdef.js";
import { elementOf, shapeOf, type LweType, typeToString } from "../types.js";
import { conv2d, matmulEintInt, matmulIntEint, sum } from "./fhe.js";

const L = (p: number, key = "big") => `!tfhe.lwe<${p}, ${key}>`;

/** Required integer fields of the `ks` and `pbs` parameter dictionaries. */
export const KS_PARAM_FIELDS = ["base_log", "level"] as const;
export const PBS_PARAM_FIELDS = ["base_log", "level"] as const;

function verifyParams(attr: Attribute | undefined, what: string, fields: readonly string[], report: VerifyReporter): boolean {
  if (!attr) return true;
  if (attr.kind === "string") {
    if (attr.value !== "?") report(`${what} must be "?" (open) or a parameter dictionary, got "${attr.value}"`);
    return attr.value === "?";
  }
  if (attr.kind !== "dict") {
    report(`${what} must be "?" (open) or a parameter dictionary`);
    return false;
  }
  for (const f of fields) {
    const v = attr.entries.get(f);
    if (!v || v.kind !== "int" || v.value < 1) {
      report(`${what} dictionary needs a positive integer '${f}'`);
      return false;
    }
  }
  return true;
}


/** Partition indices (partitioned programs): non-negative integers, all or none of `names`. */
function verifyPartitionAttrs(op: Operation, names: readonly string[], report: VerifyReporter): boolean {
  const present = names.filter((n) => op.attr(n) !== undefined);
  if (present.length > 0 && present.length < names.length) {
    report(`partition attributes ${names.join(", ")} go together, got only ${present.join(", ")}`);
    return false;
  }
  for (const n of present) {
    const v = op.attr(n)!;
    if (v.kind !== "int" || v.value < 0) {
      report(`'${n}' must be a partition index (an integer ≥ 0)`);
      return false;
    }
  }
  return true;
}

function linear(name: string, summary: string, operands: OpDef["operands"], ok: string, error: { text: string; message: string }): OpDef {
  return defineOp({
    name,
    summary,
    operands: [...operands],
    results: [{ name: "result", type: lweCiphertexts }],
    traits: ["pure", "elementwise"],
    verify: checkAll(verifySameEncryptedType, verifyBroadcastResult),
    examples: { ok, error },
  });
}

const fn = (sig: string, body: string, ret: string) => `func.func @f(${sig}) -> ${ret} {\n  ${body}\n  return %0 : ${ret}\n}`;

const widthError = (name: string, ops: string, types: string) => ({
  text: fn(`%a: ${L(4)}, %b: ${L(5)}`, `%0 = ${name} ${ops} : (${types}) -> ${L(4)}`, L(4)),
  message: "encrypted operands and results must share one precision, got !tfhe.lwe<4, big> and !tfhe.lwe<5, big>",
});

export const addLwe = linear(
  "tfhe.add_lwe",
  "Adds two ciphertexts.",
  [{ name: "lhs", type: lweCiphertexts }, { name: "rhs", type: lweCiphertexts }],
  fn(`%a: tensor<2x${L(4)}>, %b: tensor<2x${L(4)}>`, `%0 = tfhe.add_lwe %a, %b : (tensor<2x${L(4)}>, tensor<2x${L(4)}>) -> tensor<2x${L(4)}>`, `tensor<2x${L(4)}>`),
  widthError("tfhe.add_lwe", "%a, %b", `${L(4)}, ${L(5)}`),
);

export const addLweInt = linear(
  "tfhe.add_lwe_int",
  "Adds a clear integer message (encoded with the ciphertext's Δ at run time).",
  [{ name: "lhs", type: lweCiphertexts }, { name: "rhs", type: clearInt }],
  fn(`%a: tensor<2x${L(4)}>, %c: tensor<2xi5>`, `%0 = tfhe.add_lwe_int %a, %c : (tensor<2x${L(4)}>, tensor<2xi5>) -> tensor<2x${L(4)}>`, `tensor<2x${L(4)}>`),
  {
    text: fn(`%a: tensor<2x${L(4)}>, %c: tensor<3xi5>`, `%0 = tfhe.add_lwe_int %a, %c : (tensor<2x${L(4)}>, tensor<3xi5>) -> tensor<2x${L(4)}>`, `tensor<2x${L(4)}>`),
    message: "operand shapes [2] and [3] do not broadcast",
  },
);

export const subLwe = linear(
  "tfhe.sub_lwe",
  "Subtracts two ciphertexts.",
  [{ name: "lhs", type: lweCiphertexts }, { name: "rhs", type: lweCiphertexts }],
  fn(`%a: ${L(4)}, %b: ${L(4)}`, `%0 = tfhe.sub_lwe %a, %b : (${L(4)}, ${L(4)}) -> ${L(4)}`, L(4)),
  widthError("tfhe.sub_lwe", "%a, %b", `${L(4)}, ${L(5)}`),
);

export const subLweInt = linear(
  "tfhe.sub_lwe_int",
  "Subtracts a clear integer message (encoded with the ciphertext's Δ at run time).",
  [{ name: "lhs", type: lweCiphertexts }, { name: "rhs", type: clearInt }],
  fn(`%a: tensor<2x${L(4)}>, %c: i5`, `%0 = tfhe.sub_lwe_int %a, %c : (tensor<2x${L(4)}>, i5) -> tensor<2x${L(4)}>`, `tensor<2x${L(4)}>`),
  {
    text: fn(`%a: ${L(4)}, %c: i5`, `%0 = tfhe.sub_lwe_int %c, %a : (i5, ${L(4)}) -> ${L(4)}`, L(4)),
    message: "operand #0 'lhs' must be an LWE ciphertext or tensor of them, got i5",
  },
);

export const subIntLwe = linear(
  "tfhe.sub_int_lwe",
  "Subtracts a ciphertext from a clear integer message.",
  [{ name: "lhs", type: clearInt }, { name: "rhs", type: lweCiphertexts }],
  fn(`%c: i5, %a: ${L(4)}`, `%0 = tfhe.sub_int_lwe %c, %a : (i5, ${L(4)}) -> ${L(4)}`, L(4)),
  {
    text: fn(`%c: i5, %a: ${L(4)}`, `%0 = tfhe.sub_int_lwe %a, %c : (${L(4)}, i5) -> ${L(4)}`, L(4)),
    message: "operand #0 'lhs' must be a clear integer or tensor of them, got !tfhe.lwe<4, big>",
  },
);

export const negLwe = linear(
  "tfhe.neg_lwe",
  "Negates a ciphertext.",
  [{ name: "operand", type: lweCiphertexts }],
  fn(`%a: ${L(4)}`, `%0 = tfhe.neg_lwe %a : (${L(4)}) -> ${L(4)}`, L(4)),
  {
    text: fn(`%a: ${L(4)}`, `%0 = tfhe.neg_lwe %a : (${L(4)}) -> ${L(4, "small")}`, L(4, "small")),
    message: "encrypted operands and results must share one precision, got !tfhe.lwe<4, big> and !tfhe.lwe<4, small>",
  },
);

export const mulLweInt = linear(
  "tfhe.mul_lwe_int",
  "Multiplies a ciphertext by a clear integer.",
  [{ name: "lhs", type: lweCiphertexts }, { name: "rhs", type: clearInt }],
  fn(`%a: ${L(4)}, %c: i3`, `%0 = tfhe.mul_lwe_int %a, %c : (${L(4)}, i3) -> ${L(4)}`, L(4)),
  {
    text: fn(`%a: ${L(4)}, %c: i3`, `%0 = tfhe.mul_lwe_int %a, %c : (${L(4)}, i3) -> ${L(5)}`, L(5)),
    message: "encrypted operands and results must share one precision, got !tfhe.lwe<4, big> and !tfhe.lwe<5, big>",
  },
);

// The tensor-level linear ops share their shape rules with the `fhe` versions.
const reuse = (def: OpDef) => def.verify!;

export const dotLweInt = defineOp({
  name: "tfhe.dot_lwe_int",
  summary: "Dot product of a ciphertext vector with a clear integer vector.",
  operands: [
    { name: "lhs", type: lweTensor },
    { name: "rhs", type: clearIntTensor },
  ],
  results: [{ name: "result", type: lweCiphertexts }],
  traits: ["pure"],
  verify: (op, report) => {
    const a = shapeOf(op.operands[0]!.type);
    const b = shapeOf(op.operands[1]!.type);
    if (a.length !== 1 || b.length !== 1 || a[0] !== b[0]) report(`operands must be vectors of one length, got ${dimsToString(a)} and ${dimsToString(b)}`);
  },
  examples: {
    ok: fn(`%a: tensor<3x${L(6)}>, %w: tensor<3xi4>`, `%0 = tfhe.dot_lwe_int %a, %w : (tensor<3x${L(6)}>, tensor<3xi4>) -> ${L(6)}`, L(6)),
    error: {
      text: fn(`%a: tensor<3x${L(6)}>, %w: tensor<2xi4>`, `%0 = tfhe.dot_lwe_int %a, %w : (tensor<3x${L(6)}>, tensor<2xi4>) -> ${L(6)}`, L(6)),
      message: "operands must be vectors of one length, got [3] and [2]",
    },
  },
});

/**
 * The tfhe twin of fhe.matmul_eint_int (`encLeft`) or fhe.matmul_int_eint: the same shapes and
 * checks, on ciphertexts of the big key.
 */
function matmulLweDef(encLeft: boolean): OpDef {
  const name = encLeft ? "tfhe.matmul_lwe_int" : "tfhe.matmul_int_lwe";
  const lwe = (shape: string) => `tensor<${shape}x${L(6)}>`;
  const int = (shape: string) => `tensor<${shape}xi4>`;
  // [lhs, rhs, a mis-shaped rhs, result], and the error the mis-shaped one gives.
  const [lhs, rhs, badRhs, out] = encLeft ? [lwe("1x3"), int("3x2"), int("2x2"), lwe("1x2")] : [int("2x3"), lwe("3x1"), lwe("2x1"), lwe("2x1")];
  const [l, r] = encLeft ? ["%a", "%w"] : ["%w", "%a"];
  const use = (rhsType: string) => fn(`${l}: ${lhs}, ${r}: ${rhsType}`, `%0 = ${name} ${l}, ${r} : (${lhs}, ${rhsType}) -> ${out}`, out);
  return defineOp({
    name,
    summary: encLeft ? "Matrix product of ciphertexts [..., M, K] with clear [..., K, N]." : "Matrix product of clear [..., M, K] with ciphertexts [..., K, N].",
    operands: encLeft
      ? [{ name: "lhs", type: lweTensor }, { name: "rhs", type: clearIntTensor }]
      : [{ name: "lhs", type: clearIntTensor }, { name: "rhs", type: lweTensor }],
    results: [{ name: "result", type: lweTensor }],
    traits: ["pure"],
    verify: reuse(encLeft ? matmulEintInt : matmulIntEint),
    examples: {
      ok: use(rhs),
      error: { text: use(badRhs), message: `cannot multiply shapes ${encLeft ? "[1, 3] and [2, 2]" : "[2, 3] and [2, 1]"}` },
    },
  });
}

export const matmulLweInt = matmulLweDef(true);
export const matmulIntLwe = matmulLweDef(false);

export const conv2dLwe = defineOp({
  name: "tfhe.conv2d_lwe",
  summary: "2-D convolution (NCHW) of ciphertexts with a clear kernel and optional clear bias.",
  operands: [
    { name: "input", type: lweTensor },
    { name: "weight", type: clearIntTensor },
    { name: "bias", type: clearIntTensor, arity: "optional" },
  ],
  results: [{ name: "result", type: lweTensor }],
  attributes: conv2d.attributes,
  traits: ["pure"],
  verify: reuse(conv2d),
  examples: {
    ok: fn(
      `%x: tensor<1x1x3x3x${L(6)}>, %w: tensor<2x1x2x2xi3>`,
      `%0 = tfhe.conv2d_lwe %x, %w {strides = [1, 1], pads = [0, 0, 0, 0], dilations = [1, 1], group = 1} : (tensor<1x1x3x3x${L(6)}>, tensor<2x1x2x2xi3>) -> tensor<1x2x2x2x${L(6)}>`,
      `tensor<1x2x2x2x${L(6)}>`,
    ),
    error: {
      text: fn(
        `%x: tensor<1x1x3x3x${L(6)}>, %w: tensor<2x2x2x2xi3>`,
        `%0 = tfhe.conv2d_lwe %x, %w {strides = [1, 1], pads = [0, 0, 0, 0], dilations = [1, 1], group = 1} : (tensor<1x1x3x3x${L(6)}>, tensor<2x2x2x2xi3>) -> tensor<1x2x2x2x${L(6)}>`,
        `tensor<1x2x2x2x${L(6)}>`,
      ),
      message: "weight has 2 channels per group, input has 1 channels in 1 group(s)",
    },
  },
});

export const sumLwe = defineOp({
  name: "tfhe.sum_lwe",
  summary: "Sums ciphertexts over axes (all when empty).",
  operands: [{ name: "operand", type: lweTensor }],
  results: [{ name: "result", type: lweCiphertexts }],
  attributes: sum.attributes,
  traits: ["pure"],
  verify: reuse(sum),
  examples: {
    ok: fn(`%x: tensor<4x${L(6)}>`, `%0 = tfhe.sum_lwe %x {axes = [], keep_dims = false} : (tensor<4x${L(6)}>) -> ${L(6)}`, L(6)),
    error: {
      text: fn(`%x: tensor<4x${L(6)}>`, `%0 = tfhe.sum_lwe %x {axes = [], keep_dims = true} : (tensor<4x${L(6)}>) -> ${L(6)}`, L(6)),
      message: "result shape [] should be [1]",
    },
  },
});

function verifyKeys(op: Operation, from: LweType["key"], to: LweType["key"], report: VerifyReporter): boolean {
  const a = elementOf(op.operands[0]!.type) as LweType;
  const r = elementOf(op.result.type) as LweType;
  if (a.key !== from || r.key !== to) {
    report(`maps ${from}-key ciphertexts to ${to}-key ones, got ${typeToString(a)} -> ${typeToString(r)}`);
    return false;
  }
  const sa = shapeOf(op.operands[0]!.type);
  const sr = shapeOf(op.result.type);
  if (sa.length !== sr.length || sa.some((d, i) => d !== sr[i])) {
    report(`result shape ${dimsToString(sr)} should equal input shape ${dimsToString(sa)}`);
    return false;
  }
  return true;
}

export const keyswitch = defineOp({
  name: "tfhe.keyswitch",
  summary: "Keyswitch from the big key (dimension kN) to the small key (n).",
  operands: [{ name: "input", type: lweCiphertexts }],
  results: [{ name: "result", type: lweCiphertexts }],
  attributes: {
    ks: { kind: "any", doc: '"?" or {base_log, level}' },
    from: { kind: "int", optional: true, doc: "partitioned programs: partition whose big key holds the input" },
    to: { kind: "int", optional: true, doc: "partitioned programs: partition whose small key receives the result (a conversion key when it differs from `from`)" },
  },
  traits: ["pure"],
  verify: (op, report) => {
    if (!verifyKeys(op, "big", "small", report)) return;
    if (!verifyPartitionAttrs(op, ["from", "to"], report)) return;
    const a = elementOf(op.operands[0]!.type) as LweType;
    const r = elementOf(op.result.type) as LweType;
    if (a.width !== r.width) return report(`keyswitch keeps the message precision, got ${a.width} and ${r.width}`);
    verifyParams(op.attr("ks"), "ks", KS_PARAM_FIELDS, report);
  },
  examples: {
    ok: fn(`%a: tensor<2x${L(4)}>`, `%0 = tfhe.keyswitch %a {ks = {base_log = 4, level = 3}} : (tensor<2x${L(4)}>) -> tensor<2x${L(4, "small")}>`, `tensor<2x${L(4, "small")}>`),
    error: {
      text: fn(`%a: ${L(4, "small")}`, `%0 = tfhe.keyswitch %a {ks = "?"} : (${L(4, "small")}) -> ${L(4, "small")}`, L(4, "small")),
      message: "maps big-key ciphertexts to small-key ones, got !tfhe.lwe<4, small> -> !tfhe.lwe<4, small>",
    },
  },
});

/** Attributes of every bootstrap besides its table(s). */
const BOOTSTRAP_ATTRS = {
  pbs: { kind: "any", doc: '"?" or {base_log, level}' },
  partition: { kind: "int", optional: true, doc: "partitioned programs: partition whose bootstrapping key runs it" },
} as const;

/**
 * A bootstrap's checks: small key in, big key out; then `checkTables` checks the op's own table
 * attributes (against the input type) and returns the values, or reports and returns nothing;
 * then every table value must fit the result's message width, and partition and pbs their rules.
 */
function verifyBootstrap(checkTables: (op: Operation, input: LweType, report: VerifyReporter) => DenseAttr | void) {
  return (op: Operation, report: VerifyReporter): void => {
    if (!verifyKeys(op, "small", "big", report)) return;
    const r = elementOf(op.result.type) as LweType;
    const tables = checkTables(op, elementOf(op.operands[0]!.type) as LweType, report);
    if (!tables) return;
    const lim = 2 ** r.width;
    const bad = tables.data.find((v) => !Number.isInteger(v) || v < -lim || v >= lim);
    if (bad !== undefined) return report(`table value ${bad} does not fit a ${r.width}-bit message`);
    if (!verifyPartitionAttrs(op, ["partition"], report)) return;
    verifyParams(op.attr("pbs"), "pbs", PBS_PARAM_FIELDS, report);
  };
}

export const bootstrap = defineOp({
  name: "tfhe.bootstrap",
  summary: "Programmable bootstrap: applies a 2^p-entry table and returns to the big key.",
  operands: [{ name: "input", type: lweCiphertexts }],
  results: [{ name: "result", type: lweCiphertexts }],
  attributes: {
    table: { kind: "dense", doc: "1-D table of 2^p output messages" },
    ...BOOTSTRAP_ATTRS,
  },
  traits: ["pure", "tableLookup"],
  verify: verifyBootstrap((op, a, report) => {
    const table = op.attr("table") as DenseAttr;
    const size = 2 ** a.width;
    if (table.type.shape.length !== 1 || table.type.shape[0] !== size) {
      return report(`table must have exactly 2^${a.width} = ${size} entries, got shape ${dimsToString(table.type.shape)}`);
    }
    return table;
  }),
  examples: {
    ok: fn(
      `%a: tensor<2x${L(2, "small")}>`,
      `%0 = tfhe.bootstrap %a {table = dense<[0, 1, 1, 0]> : tensor<4xi64>, pbs = "?"} : (tensor<2x${L(2, "small")}>) -> tensor<2x${L(2)}>`,
      `tensor<2x${L(2)}>`,
    ),
    error: {
      text: fn(
        `%a: ${L(2, "small")}`,
        `%0 = tfhe.bootstrap %a {table = dense<[0, 1, 1, 0]> : tensor<4xi64>, pbs = {level = 1}} : (${L(2, "small")}) -> ${L(2)}`,
        L(2),
      ),
      message: "pbs dictionary needs a positive integer 'base_log'",
    },
  },
});

export const mappedBootstrap = defineOp({
  name: "tfhe.mapped_bootstrap",
  summary: "Programmable bootstrap with one of several 2^p-entry tables per element, chosen by a clear map.",
  operands: [{ name: "input", type: lweTensor }],
  results: [{ name: "result", type: lweTensor }],
  attributes: {
    tables: { kind: "dense", doc: "[T, 2^p] tables of output messages" },
    map: { kind: "dense", doc: "table index per input element (input's shape)" },
    ...BOOTSTRAP_ATTRS,
  },
  traits: ["pure", "tableLookup"],
  verify: verifyBootstrap((op, a, report) => {
    const tables = op.attr("tables") as DenseAttr;
    const map = op.attr("map") as DenseAttr;
    const size = 2 ** a.width;
    if (tables.type.shape.length !== 2 || tables.type.shape[1] !== size) {
      return report(`tables must have shape [T, ${size}] for 2^${a.width}-entry tables, got ${dimsToString(tables.type.shape)}`);
    }
    const inShape = shapeOf(op.operands[0]!.type);
    const ms = map.type.shape;
    if (ms.length !== inShape.length || ms.some((d, i) => d !== inShape[i])) {
      return report(`map shape ${dimsToString(ms)} should equal input shape ${dimsToString(inShape)}`);
    }
    const t = tables.type.shape[0]!;
    const badIndex = map.data.find((v) => !Number.isInteger(v) || v < 0 || v >= t);
    if (badIndex !== undefined) return report(`map entry ${badIndex} is not a table index in [0, ${t})`);
    return tables;
  }),
  examples: {
    ok: fn(
      `%a: tensor<2x${L(1, "small")}>`,
      `%0 = tfhe.mapped_bootstrap %a {tables = dense<[[0, 1], [3, -2]]> : tensor<2x2xi64>, map = dense<[0, 1]> : tensor<2xi64>, pbs = "?"} : (tensor<2x${L(1, "small")}>) -> tensor<2x${L(3)}>`,
      `tensor<2x${L(3)}>`,
    ),
    error: {
      text: fn(
        `%a: tensor<2x${L(1, "small")}>`,
        `%0 = tfhe.mapped_bootstrap %a {tables = dense<[[0, 1], [3, -2]]> : tensor<2x2xi64>, map = dense<[0, 2]> : tensor<2xi64>, pbs = "?"} : (tensor<2x${L(1, "small")}>) -> tensor<2x${L(3)}>`,
        `tensor<2x${L(3)}>`,
      ),
      message: "map entry 2 is not a table index in [0, 2)",
    },
  },
});

export const reinterpretPrecision = defineOp({
  name: "tfhe.reinterpret_precision",
  summary: "Reads the same ciphertexts at another precision (no computation): v·Δ_p = (v / 2^(p−q))·Δ_q.",
  description:
    "With q < p the low p−q bits of the message become noise, rounded to the nearest by the next " +
    "bootstrap or by decryption (approximate rounding; values near a tie may go either way). " +
    "With q > p the message is multiplied by 2^(q−p). Δ_p = 2^(63−p).",
  operands: [{ name: "input", type: lweCiphertexts }],
  results: [{ name: "result", type: lweCiphertexts }],
  traits: ["pure"],
  verify: (op, report) => {
    const a = elementOf(op.operands[0]!.type) as LweType;
    const r = elementOf(op.result.type) as LweType;
    if (a.key !== r.key) return report(`reinterpretation keeps the key, got ${typeToString(a)} -> ${typeToString(r)}`);
    const sa = shapeOf(op.operands[0]!.type);
    const sr = shapeOf(op.result.type);
    if (sa.length !== sr.length || sa.some((d, i) => d !== sr[i])) report(`result shape ${dimsToString(sr)} should equal input shape ${dimsToString(sa)}`);
  },
  examples: {
    ok: fn(`%a: tensor<3x${L(9)}>`, `%0 = tfhe.reinterpret_precision %a : (tensor<3x${L(9)}>) -> tensor<3x${L(4)}>`, `tensor<3x${L(4)}>`),
    error: {
      text: fn(`%a: ${L(9)}`, `%0 = tfhe.reinterpret_precision %a : (${L(9)}) -> ${L(4, "small")}`, L(4, "small")),
      message: "reinterpretation keeps the key, got !tfhe.lwe<9, big> -> !tfhe.lwe<4, small>",
    },
  },
});

export const tfheDialect = [
  addLwe,
  addLweInt,
  subLwe,
  subLweInt,
  subIntLwe,
  negLwe,
  mulLweInt,
  dotLweInt,
  matmulLweInt,
  matmulIntLwe,
  conv2dLwe,
  sumLwe,
  keyswitch,
  bootstrap,
  mappedBootstrap,
  reinterpretPrecision,
];
