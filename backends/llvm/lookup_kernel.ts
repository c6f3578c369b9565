// The table lookups of 16, 32 or 64 entries (tables of 4-, 5- and 6-bit inputs) without draws,
// written once as LLVM IR text (llvm-bindings 0.4 has no vector types) and linked in like the
// matmul kernel (native_object.ts). The table sits in 2, 4 or 8 vector registers and every read is
// in-register permutes (vpermi2pd, 8 lanes, 16 entries each) instead of a gather from memory, which
// took most of the mlp's lookup time (a 64-entry read: 4 permutes and 3 blends, about half a
// gather's time). The index and the negacyclic sign are computed as the clear
// backend computes them (emit_ops.ts, lookup): values are integers, m a power of two.

/** Table sizes with a permute kernel. */
export const PERMUTE_ENTRIES = [16, 32, 64] as const;
export type PermuteEntries = (typeof PERMUTE_ENTRIES)[number];

/** `wrapped`: the variant for inputs that are integers in [0, 2m) or NaN (a rescale's results, plan.ts). */
export const lookupKernelSymbol = (m: PermuteEntries, wrapped: boolean): string => `fhec_lookup${m}${wrapped ? "_wrapped" : ""}_f64`;

const LANES = 8;
const vec = `<${LANES} x double>`;
const ivec = `<${LANES} x i64>`;

/** An f64 constant in LLVM's exact hexadecimal form. */
function hexDouble(x: number): string {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  return `0x${v.getBigUint64(0).toString(16).toUpperCase().padStart(16, "0")}`;
}

const splat = (x: number): string => `<${Array.from({ length: LANES }, () => `double ${hexDouble(x)}`).join(", ")}>`;
const isplat = (x: number): string => `<${Array.from({ length: LANES }, () => `i64 ${x}`).join(", ")}>`;

/**
 * `void fhec_lookupM_f64(double* out, double* in, double* table, i64 lanes, double shift)`: for the
 * `lanes` samples (a multiple of 8) of one element, out = ±table[((v % m) + m) % m], negated where
 * u = v + shift (m/2 for a signed input, else 0) lies outside [0, m) in an odd period. The
 * `wrapped` variant (unsigned inputs in [0, 2m) or NaN, shift 0) takes the index from the integer's
 * low bits and the sign from bit log2(m): the same reads (NaN reads entry 0 unnegated in both, as
 * the conversion gives the lowest integer).
 */
export function lookupKernelIr(m: PermuteEntries, triple: string, wrapped: boolean): string {
  const regs = m / LANES;
  const L: string[] = [`target triple = "${triple}"`, ""];
  L.push(
    `declare ${vec} @llvm.floor.v8f64(${vec})`,
    `declare ${vec} @llvm.x86.avx512.vpermi2var.pd.512(${vec}, ${ivec}, ${vec})`,
    "",
    `define linkonce_odr hidden void @${lookupKernelSymbol(m, wrapped)}(double* noalias nocapture %out, double* noalias nocapture readonly %in, double* noalias nocapture readonly %table, i64 %lanes, double %shift) {`,
    "entry:",
  );
  for (let r = 0; r < regs; r++) {
    L.push(`  %tp${r} = getelementptr inbounds double, double* %table, i64 ${r * LANES}`, `  %tv${r} = bitcast double* %tp${r} to ${vec}*`, `  %t${r} = load ${vec}, ${vec}* %tv${r}, align 8`);
  }
  L.push(
    `  %shift0 = insertelement ${vec} undef, double %shift, i32 0`,
    `  %shifts = shufflevector ${vec} %shift0, ${vec} undef, <${LANES} x i32> zeroinitializer`,
    "  br label %head",
    "head:",
    "  %s = phi i64 [ 0, %entry ], [ %snext, %body ]",
    "  %more = icmp slt i64 %s, %lanes",
    "  br i1 %more, label %body, label %exit",
    "body:",
    "  %ip = getelementptr inbounds double, double* %in, i64 %s",
    `  %iv = bitcast double* %ip to ${vec}*`,
    `  %v = load ${vec}, ${vec}* %iv, align 8`,
  );
  if (wrapped) {
    L.push(
      `  %idx = fptosi ${vec} %v to ${ivec}`,
      `  %signbit = and ${ivec} %idx, ${isplat(m)}`,
      `  %negate = icmp ne ${ivec} %signbit, zeroinitializer`,
    );
  } else {
    L.push(
      // The index: v where 0 ≤ v < m, else v − m·floor(v/m) (exact for integers and m a power of two).
      `  %ge0 = fcmp oge ${vec} %v, zeroinitializer`,
      `  %ltm = fcmp olt ${vec} %v, ${splat(m)}`,
      `  %inside = and <${LANES} x i1> %ge0, %ltm`,
      `  %q = fmul ${vec} %v, ${splat(1 / m)}`,
      `  %qf = call ${vec} @llvm.floor.v8f64(${vec} %q)`,
      `  %mq = fmul ${vec} %qf, ${splat(m)}`,
      `  %red = fsub ${vec} %v, %mq`,
      `  %idxf = select <${LANES} x i1> %inside, ${vec} %v, ${vec} %red`,
      `  %idx = fptosi ${vec} %idxf to ${ivec}`,
      // The sign: u outside [0, m) in an odd period of m.
      `  %u = fadd ${vec} %v, %shifts`,
      `  %uq = fmul ${vec} %u, ${splat(1 / m)}`,
      `  %uqf = call ${vec} @llvm.floor.v8f64(${vec} %uq)`,
      `  %uqi = fptosi ${vec} %uqf to ${ivec}`,
      `  %oddbit = and ${ivec} %uqi, ${isplat(1)}`,
      `  %odd = icmp ne ${ivec} %oddbit, zeroinitializer`,
      `  %ult0 = fcmp olt ${vec} %u, zeroinitializer`,
      `  %ugem = fcmp oge ${vec} %u, ${splat(m)}`,
      `  %outside = or <${LANES} x i1> %ult0, %ugem`,
      `  %negate = and <${LANES} x i1> %outside, %odd`,
    );
  }
  // Entries 16g … 16g + 15 by one two-register permute each (index bits 0–3), then bits 4, 5 pick.
  let picks = Array.from({ length: m / 16 }, (_, g) => {
    L.push(`  %p${g} = call ${vec} @llvm.x86.avx512.vpermi2var.pd.512(${vec} %t${2 * g}, ${ivec} %idx, ${vec} %t${2 * g + 1})`);
    return `%p${g}`;
  });
  for (let bit = 16; picks.length > 1; bit *= 2) {
    L.push(`  %bit${bit} = and ${ivec} %idx, ${isplat(bit)}`, `  %upper${bit} = icmp ne ${ivec} %bit${bit}, zeroinitializer`);
    picks = Array.from({ length: picks.length / 2 }, (_, j) => {
      L.push(`  %pick${bit}_${j} = select <${LANES} x i1> %upper${bit}, ${vec} ${picks[2 * j + 1]}, ${vec} ${picks[2 * j]}`);
      return `%pick${bit}_${j}`;
    });
  }
  const t = picks[0]!;
  L.push(
    `  %nt = fneg ${vec} ${t}`,
    `  %r = select <${LANES} x i1> %negate, ${vec} %nt, ${vec} ${t}`,
    "  %op = getelementptr inbounds double, double* %out, i64 %s",
    `  %ov = bitcast double* %op to ${vec}*`,
    `  store ${vec} %r, ${vec}* %ov, align 8`,
    `  %snext = add i64 %s, ${LANES}`,
    "  br label %head",
    "exit:",
    "  ret void",
    "}",
    "",
  );
  return L.join("\n");
}
