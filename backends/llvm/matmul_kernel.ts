// The vector kernel of the fast matmuls (plan.ts: FastMatmul), written once as LLVM IR text and
// linked into every kernel module that calls it (native_object.ts). llvm-bindings 0.4 has no
// vector types, and writing the weights into the code made compile time grow with every weight;
// this loop reads them from a module constant instead, so its code is the same for every matmul.
//
// One call computes one row of a matmul over a block of samples: for each block of
// MATMUL_OUTPUTS outputs j and each block of SAMPLE_BLOCK samples s,
//   out[j][s] = Σ_t in[t][s] · w[t][j]
// with MATMUL_OUTPUTS × SAMPLE_VECTORS accumulators of 16 f32 lanes held in registers over t, the
// weights broadcast from memory. Two forms (plan.ts: FastMatmul), each exact only under its bound:
// - f32: fused multiply-adds in f32, one input row t per step;
// - i16: AVX-512 VNNI's vpdpwssd, 16 i32 lanes each holding a pair of i16 inputs (rows 2t and
//   2t + 1 of one sample) multiplied by a pair of i16 weights and both products added to the i32
//   accumulator: twice the multiply-adds of an f32 FMA per instruction;
// - u8: VNNI's vpdpbusd, each i32 lane holding four u8 inputs (rows 4t … 4t + 3) multiplied by
//   four s8 weights: twice the multiply-adds of vpdpwssd per instruction.

export type MatmulForm = "f32" | "i16" | "u8";

export const MATMUL_KERNEL_SYMBOL: Record<MatmulForm, string> = { f32: "fhec_matmul_f32", i16: "fhec_matmul_i16", u8: "fhec_matmul_u8" };

/** The VNNI instruction of an integer form (its LLVM intrinsic: accumulator, then the inputs' words, then the weights'). */
const VNNI: Record<Exclude<MatmulForm, "f32">, string> = { i16: "llvm.x86.avx512.vpdpwssd.512", u8: "llvm.x86.avx512.vpdpbusd.512" };

/** Outputs per pass over the inputs (the weight matrices' n columns are padded to a multiple of it). */
export const MATMUL_OUTPUTS = 8;
const LANES = 16;
const SAMPLE_VECTORS = 2;
/** Samples per block: slot capacities are multiples of it, so a block never leaves its row. */
export const SAMPLE_BLOCK = LANES * SAMPLE_VECTORS;

/**
 * `void fhec_matmul_f32(float* out, float* in, float* w, i64 k, i64 nPad, i64 cap, i64 blocks)`:
 * rows of `cap` samples (in: k rows, out: nPad rows), w row-major k × nPad, `blocks` sample blocks.
 * `fhec_matmul_i16` is the same over i32 words, k counting pairs of input rows (i16 pairs in each);
 * `fhec_matmul_u8` too, k counting quads of input rows (u8 quads in each, s8 quads of weights).
 */
export function matmulKernelIr(form: MatmulForm, triple: string): string {
  const elem = form === "f32" ? "float" : "i32";
  const vec = `<${LANES} x ${elem}>`;
  const step = (acc: string, a: string, w: string): string =>
    form === "f32" ? `call ${vec} @llvm.fma.v${LANES}f32(${vec} ${a}, ${vec} ${w}, ${vec} ${acc})` : `call ${vec} @${VNNI[form]}(${vec} ${acc}, ${vec} ${a}, ${vec} ${w})`;
  const accs: [number, number][] = [];
  for (let c = 0; c < MATMUL_OUTPUTS; c++) for (let v = 0; v < SAMPLE_VECTORS; v++) accs.push([c, v]);
  const acc = ([c, v]: [number, number]) => `%acc${c}_${v}`;
  const next = ([c, v]: [number, number]) => `%next${c}_${v}`;
  const L: string[] = [];
  L.push(`target triple = "${triple}"`, "");
  L.push(form === "f32" ? `declare ${vec} @llvm.fma.v${LANES}f32(${vec}, ${vec}, ${vec})` : `declare ${vec} @${VNNI[form]}(${vec}, ${vec}, ${vec})`, "");
  L.push(
    `define linkonce_odr hidden void @${MATMUL_KERNEL_SYMBOL[form]}(${elem}* noalias nocapture %out, ${elem}* noalias nocapture readonly %in, ${elem}* noalias nocapture readonly %w, i64 %k, i64 %npad, i64 %cap, i64 %blocks) {`,
    "entry:",
    "  br label %jhead",
    "jhead:",
    "  %j0 = phi i64 [ 0, %entry ], [ %j0next, %jlatch ]",
    "  %jin = icmp slt i64 %j0, %npad",
    "  br i1 %jin, label %bhead, label %exit",
    "bhead:",
    "  %b = phi i64 [ 0, %jhead ], [ %bnext, %tdone ]",
    "  %bin = icmp slt i64 %b, %blocks",
    "  br i1 %bin, label %tpre, label %jlatch",
    "tpre:",
    `  %s0 = mul i64 %b, ${SAMPLE_BLOCK}`,
    "  br label %thead",
    "thead:",
    "  %t = phi i64 [ 0, %tpre ], [ %tnext, %tbody ]",
    ...accs.map((a) => `  ${acc(a)} = phi ${vec} [ zeroinitializer, %tpre ], [ ${next(a)}, %tbody ]`),
    "  %tin = icmp slt i64 %t, %k",
    "  br i1 %tin, label %tbody, label %tdone",
    "tbody:",
    "  %arow = mul i64 %t, %cap",
    "  %wrow = mul i64 %t, %npad",
    "  %wbase = add i64 %wrow, %j0",
  );
  for (let v = 0; v < SAMPLE_VECTORS; v++) {
    L.push(`  %sv${v} = add i64 %s0, ${v * LANES}`, `  %aoff${v} = add i64 %arow, %sv${v}`);
    L.push(`  %ap${v} = getelementptr inbounds ${elem}, ${elem}* %in, i64 %aoff${v}`, `  %apv${v} = bitcast ${elem}* %ap${v} to ${vec}*`, `  %a${v} = load ${vec}, ${vec}* %apv${v}, align 4`);
  }
  for (let c = 0; c < MATMUL_OUTPUTS; c++) {
    L.push(
      `  %woff${c} = add i64 %wbase, ${c}`,
      `  %wp${c} = getelementptr inbounds ${elem}, ${elem}* %w, i64 %woff${c}`,
      `  %w${c} = load ${elem}, ${elem}* %wp${c}, align 4`,
      `  %wi${c} = insertelement ${vec} undef, ${elem} %w${c}, i32 0`,
      `  %ws${c} = shufflevector ${vec} %wi${c}, ${vec} undef, <${LANES} x i32> zeroinitializer`,
    );
    for (let v = 0; v < SAMPLE_VECTORS; v++) L.push(`  ${next([c, v])} = ${step(acc([c, v]), `%a${v}`, `%ws${c}`)}`);
  }
  L.push("  %tnext = add i64 %t, 1", "  br label %thead", "tdone:");
  for (const [c, v] of accs) {
    const o = `${c}_${v}`;
    L.push(
      `  %orow${o} = add i64 %j0, ${c}`,
      `  %ooff${o} = mul i64 %orow${o}, %cap`,
      `  %osv${o} = add i64 %s0, ${v * LANES}`,
      `  %oo${o} = add i64 %ooff${o}, %osv${o}`,
      `  %op${o} = getelementptr inbounds ${elem}, ${elem}* %out, i64 %oo${o}`,
      `  %opv${o} = bitcast ${elem}* %op${o} to ${vec}*`,
      `  store ${vec} ${acc([c, v])}, ${vec}* %opv${o}, align 4`,
    );
  }
  L.push(
    "  %bnext = add i64 %b, 1",
    "  br label %bhead",
    "jlatch:",
    `  %j0next = add i64 %j0, ${MATMUL_OUTPUTS}`,
    "  br label %jhead",
    "exit:",
    "  ret void",
    "}",
    "",
  );
  return L.join("\n");
}
