// The copies of the inputs into their slots and of the results out of theirs, written once as
// LLVM IR text (llvm-bindings 0.4 has no vector types) and linked in like the matmul kernel
// (native_object.ts). fhec's arrays are sample-major (sample s's n elements in a row), slots
// element-major: a loop over the elements with the samples innermost reads (or writes) with a
// stride of n elements, a gather (scatter) per vector, which took a third of the mlp's kernel
// time. These move 8 samples × 8 elements as 8 contiguous vectors, transposed in registers (three
// rounds of two-input shuffles). The input copy checks the range of every value on the way.

export const INPUT_KERNEL_SYMBOL = "fhec_input_f64";
export const INPUT_PAIRS_KERNEL_SYMBOL = "fhec_input_pairs_f64";
export const INPUT_QUADS_KERNEL_SYMBOL = "fhec_input_quads_f64";
export const OUTPUT_KERNEL_SYMBOL = "fhec_output_f64";

const LANES = 8;

/**
 * Round r of the 8 × 8 transpose pairs vectors i and i + 2^r (bit r of i clear): the low result
 * takes the even runs of 2^r lanes of both, interleaved, the high one the odd runs. After the three
 * rounds vector i holds element i of the 8 rows.
 */
function roundMasks(r: number): [number[], number[]] {
  const run = 2 ** r;
  const lo: number[] = [];
  const hi: number[] = [];
  for (let j = 0; j < LANES; j++) {
    const block = Math.floor(j / run);
    const within = j % run;
    // lo takes runs 0, 2, 4, … of the first vector interleaved with the same runs of the second.
    const src = Math.floor(block / 2) * 2 * run + within + (block % 2 === 0 ? 0 : LANES);
    lo.push(src);
    hi.push(src + run);
  }
  return [lo, hi];
}

const vec = `<${LANES} x double>`;
/** An f64 vector constant of one value (±∞ as LLVM writes them). */
const splatF = (x: number) => `<${Array.from({ length: LANES }, () => `double ${x === Infinity ? "0x7FF0000000000000" : x === -Infinity ? "0xFFF0000000000000" : x}`).join(", ")}>`;
const mask = (m: number[]) => `<${LANES} x i32> <${m.map((v) => `i32 ${v}`).join(", ")}>`;

/** IR lines transposing the 8 vectors `%{from}0_i` into `%{from}3_i` (vector i of the result: lane i of every input). */
function transposeLines(from: string): string[] {
  const L: string[] = [];
  for (let r = 0; r < 3; r++) {
    const [lo, hi] = roundMasks(r);
    const run = 2 ** r;
    for (let i = 0; i < LANES; i++) {
      if (Math.floor(i / run) % 2 !== 0) continue;
      const [a, b] = [`%${from}${r}_${i}`, `%${from}${r}_${i + run}`];
      L.push(`  %${from}${r + 1}_${i} = shufflevector ${vec} ${a}, ${vec} ${b}, ${mask(lo)}`, `  %${from}${r + 1}_${i + run} = shufflevector ${vec} ${a}, ${vec} ${b}, ${mask(hi)}`);
    }
  }
  return L;
}

/** IR lines making `%{name}{i}` a vector pointer to the slot's samples g… of element e + i (element-major rows of `cap`). */
function slotVectorLines(name: string, i: number): string[] {
  return [
    `  %${name}e${i} = add i64 %e, ${i}`,
    `  %${name}o${i} = mul i64 %${name}e${i}, %cap`,
    `  %${name}g${i} = add i64 %${name}o${i}, %g`,
    `  %${name}p${i} = getelementptr inbounds double, double* %slot, i64 %${name}g${i}`,
    `  %${name}${i} = bitcast double* %${name}p${i} to ${vec}*`,
  ];
}

/** Appends to L the IR copying the last n mod 8 elements of samples g… value by value (from `rhead` to `rdone`), counting bad ones into %badr (`check` appends to L too). */
function remainderLines(L: string[], check: (v: string, into: string, from: string, type: string, suffix: string) => void): void {
  L.push(
    "rhead:",
    "  %er = phi i64 [ %nfull, %bhead ], [ %ernext, %rlatch ]",
    `  %badr = phi <${LANES} x i64> [ %bad, %bhead ], [ %badrn, %rlatch ]`,
    "  %erin = icmp slt i64 %er, %n",
    "  br i1 %erin, label %rbody, label %rdone",
    "rbody:",
    "  %rdo = mul i64 %er, %cap",
    "  %rdg = add i64 %rdo, %g",
    "  br label %rlatch",
    "rlatch:",
  );
  let acc = "%badr";
  for (let j = 0; j < LANES; j++) {
    L.push(
      `  %q${j} = getelementptr inbounds double, double* %row${j}, i64 %er`,
      `  %x${j} = load double, double* %q${j}, align 8`,
      `  %xd${j} = add i64 %rdg, ${j}`,
      `  %xp${j} = getelementptr inbounds double, double* %slot, i64 %xd${j}`,
      `  store double %x${j}, double* %xp${j}, align 8`,
    );
    check(`%x${j}`, `%xb${j}`, "0", "double", `x${j}`);
    L.push(`  %xv${j} = insertelement <${LANES} x i64> zeroinitializer, i64 %xb${j}, i32 ${j}`, `  %acc${j} = add <${LANES} x i64> ${acc}, %xv${j}`);
    acc = `%acc${j}`;
  }
  L.push(`  %badrn = add <${LANES} x i64> ${acc}, zeroinitializer`, "  %ernext = add i64 %er, 1", "  br label %rhead");
}

/**
 * IR lines storing the 8 transposed vectors `%v3_i` (elements e + i of samples g…) as 4 rows of i32
 * words: row e/2 + p holds elements e + 2p (low half) and e + 2p + 1 (high half) as i16.
 */
function pairLines(): string[] {
  const L: string[] = ["  %pe = lshr i64 %e, 1"];
  const i32v = `<${LANES} x i32>`;
  const splat32 = (x: number) => `<${Array.from({ length: LANES }, () => `i32 ${x}`).join(", ")}>`;
  for (let p = 0; p < LANES / 2; p++) {
    L.push(
      `  %lo${p} = fptosi ${vec} %v3_${2 * p} to ${i32v}`,
      `  %hi${p} = fptosi ${vec} %v3_${2 * p + 1} to ${i32v}`,
      `  %lom${p} = and ${i32v} %lo${p}, ${splat32(0xffff)}`,
      `  %his${p} = shl ${i32v} %hi${p}, ${splat32(16)}`,
      `  %word${p} = or ${i32v} %lom${p}, %his${p}`,
      `  %wr${p} = add i64 %pe, ${p}`,
      `  %wo${p} = mul i64 %wr${p}, %cap`,
      `  %wg${p} = add i64 %wo${p}, %g`,
      `  %wp${p} = getelementptr inbounds i32, i32* %words, i64 %wg${p}`,
      `  %wv${p} = bitcast i32* %wp${p} to ${i32v}*`,
      `  store ${i32v} %word${p}, ${i32v}* %wv${p}, align 4`,
    );
  }
  return L;
}

/**
 * IR lines storing the 8 transposed vectors `%v3_i` (elements e + i of samples g…) as 2 rows of i32
 * words: row e/4 + q holds elements e + 4q … e + 4q + 3 as bytes, lowest first (u8 when the
 * values are, which the caller checks).
 */
function quadLines(): string[] {
  const L: string[] = ["  %qe = lshr i64 %e, 2"];
  const i32v = `<${LANES} x i32>`;
  const splat32 = (x: number) => `<${Array.from({ length: LANES }, () => `i32 ${x}`).join(", ")}>`;
  for (let q = 0; q < LANES / 4; q++) {
    let word = "";
    for (let j = 0; j < 4; j++) {
      const b = `%qb${q}_${j}`;
      L.push(`  %qi${q}_${j} = fptosi ${vec} %v3_${4 * q + j} to ${i32v}`, `  %qm${q}_${j} = and ${i32v} %qi${q}_${j}, ${splat32(0xff)}`, `  ${b} = shl ${i32v} %qm${q}_${j}, ${splat32(8 * j)}`);
      if (j === 0) word = b;
      else {
        L.push(`  %qw${q}_${j} = or ${i32v} ${word}, ${b}`);
        word = `%qw${q}_${j}`;
      }
    }
    L.push(
      `  %qr${q} = add i64 %qe, ${q}`,
      `  %qo${q} = mul i64 %qr${q}, %cap`,
      `  %qg${q} = add i64 %qo${q}, %g`,
      `  %qp${q} = getelementptr inbounds i32, i32* %quads, i64 %qg${q}`,
      `  %qv${q} = bitcast i32* %qp${q} to ${i32v}*`,
      `  store ${i32v} ${word}, ${i32v}* %qv${q}, align 4`,
    );
  }
  return L;
}

/** Which copy inputKernelIr makes: f64 rows, i16 pairs, or i16 pairs and u8 quads. */
export type InputCopy = "rows" | "pairs" | "quads";

/**
 * `i64 fhec_input_f64(double* slot, double* src, i64 n, i64 cap, i64 samples, i64 live, double min, double max)`:
 * slot[e·cap + s] = src[min(s, live − 1)·n + e] for s < samples (a multiple of 8), e < n; returns
 * how many values read are not integers within [min, max] (NaN and ±∞ included).
 *
 * `pairs`: `i64 fhec_input_pairs_f64(i32* words, …, double* widest)`, the copy an i16 fast matmul
 * reads (plan.ts FastMatmul), made straight from fhec's arrays: words[t·cap + s] holds elements
 * 2t (low half) and 2t + 1 (high half) of sample s as i16, n a multiple of 8; *widest is the
 * largest |value| read, for the matmul's bound check. It returns 1 when some value read is not an
 * integer within [min, max], else 0 (the caller only asks whether any is): it keeps the least and
 * largest values and the OR of the bits of v − floor(v) (nonzero for a fraction, NaN or ±∞), five
 * vector operations per 8 values where a count per value took nine more.
 *
 * `quads`: `i64 fhec_input_quads_f64(…, double* widest, i32* quads, double* widestBits)`, the pairs
 * and also the copy a u8 fast matmul reads: quads[t·cap + s] holds elements 4t … 4t + 3 of sample
 * s as bytes; *widestBits is the largest value read when the least is ≥ 0 (−0 included, whose
 * byte is 0 as well), else −1: at most 255 exactly when every value fits u8 (for values that
 * pass the range check above).
 */
export function inputKernelIr(triple: string, copy: InputCopy = "rows"): string {
  const pairs = copy !== "rows";
  const quads = copy === "quads";
  const L: string[] = [];
  L.push(`target triple = "${triple}"`, "");
  L.push(`declare ${vec} @llvm.floor.v${LANES}f64(${vec})`, `declare i64 @llvm.vector.reduce.add.v${LANES}i64(<${LANES} x i64>)`, "declare double @llvm.floor.f64(double)", "");
  if (pairs) L.push(`declare double @llvm.vector.reduce.fmax.v${LANES}f64(${vec})`, `declare double @llvm.vector.reduce.fmin.v${LANES}f64(${vec})`, `declare i64 @llvm.vector.reduce.or.v${LANES}i64(<${LANES} x i64>)`, "");
  const check = (v: string, into: string, from: string, type: string, suffix: string) => {
    const fl = type === vec ? `@llvm.floor.v${LANES}f64` : "@llvm.floor.f64";
    const i1 = type === vec ? `<${LANES} x i1>` : "i1";
    const i64 = type === vec ? `<${LANES} x i64>` : "i64";
    L.push(
      `  %fl${suffix} = call ${type} ${fl}(${type} ${v})`,
      `  %int${suffix} = fcmp oeq ${type} %fl${suffix}, ${v}`,
      `  %lo${suffix} = fcmp oge ${type} ${v}, ${type === vec ? "%minv" : "%min"}`,
      `  %hi${suffix} = fcmp ole ${type} ${v}, ${type === vec ? "%maxv" : "%max"}`,
      `  %in${suffix} = and ${i1} %lo${suffix}, %hi${suffix}`,
      `  %ok${suffix} = and ${i1} %in${suffix}, %int${suffix}`,
      `  %nok${suffix} = xor ${i1} %ok${suffix}, ${type === vec ? `<${Array(LANES).fill("i1 true").join(", ")}>` : "true"}`,
      `  %bad${suffix} = zext ${i1} %nok${suffix} to ${i64}`,
      `  ${into} = add ${i64} ${from}, %bad${suffix}`,
    );
  };
  L.push(
    pairs
      ? `define linkonce_odr hidden i64 @${quads ? INPUT_QUADS_KERNEL_SYMBOL : INPUT_PAIRS_KERNEL_SYMBOL}(i32* noalias nocapture %words, double* noalias nocapture readonly %src, i64 %n, i64 %cap, i64 %samples, i64 %live, double %min, double %max, double* noalias nocapture %widest${quads ? ", i32* noalias nocapture %quads, double* noalias nocapture %widestBits" : ""}) {`
      : `define linkonce_odr hidden i64 @${INPUT_KERNEL_SYMBOL}(double* noalias nocapture %slot, double* noalias nocapture readonly %src, i64 %n, i64 %cap, i64 %samples, i64 %live, double %min, double %max) {`,
    "entry:",
    `  %mini = insertelement ${vec} undef, double %min, i32 0`,
    `  %minv = shufflevector ${vec} %mini, ${vec} undef, <${LANES} x i32> zeroinitializer`,
    `  %maxi = insertelement ${vec} undef, double %max, i32 0`,
    `  %maxv = shufflevector ${vec} %maxi, ${vec} undef, <${LANES} x i32> zeroinitializer`,
    "  %last = sub i64 %live, 1",
    `  %nfull = and i64 %n, ${-LANES}`,
    "  br label %ghead",
    // Groups of 8 samples; the counts of bad values are kept per lane, summed at the end.
    "ghead:",
    "  %g = phi i64 [ 0, %entry ], [ %gnext, %rdone ]",
    `  %badg = phi <${LANES} x i64> [ zeroinitializer, %entry ], [ ${pairs ? "%bad" : "%badr"}, %rdone ]`,
    ...(pairs ? [`  %wideg = phi ${vec} [ ${splatF(-Infinity)}, %entry ], [ %wide, %rdone ]`, `  %uwideg = phi ${vec} [ ${splatF(Infinity)}, %entry ], [ %uwide, %rdone ]`] : []),
    "  %gin = icmp slt i64 %g, %samples",
    "  br i1 %gin, label %gbody, label %exit",
    "gbody:",
  );
  for (let j = 0; j < LANES; j++) {
    L.push(
      `  %s${j} = add i64 %g, ${j}`,
      `  %lt${j} = icmp slt i64 %s${j}, %last`,
      `  %r${j} = select i1 %lt${j}, i64 %s${j}, i64 %last`,
      `  %ro${j} = mul i64 %r${j}, %n`,
      `  %row${j} = getelementptr inbounds double, double* %src, i64 %ro${j}`,
    );
  }
  L.push(
    "  br label %bhead",
    // Blocks of 8 elements.
    "bhead:",
    "  %e = phi i64 [ 0, %gbody ], [ %enext, %bbody ]",
    `  %bad = phi <${LANES} x i64> [ %badg, %gbody ], [ %bad${LANES - 1}, %bbody ]`,
    ...(pairs ? [`  %wide = phi ${vec} [ %wideg, %gbody ], [ %wide${LANES - 1}, %bbody ]`, `  %uwide = phi ${vec} [ %uwideg, %gbody ], [ %uwide${LANES - 1}, %bbody ]`] : []),
    "  %ein = icmp slt i64 %e, %nfull",
    // n is a multiple of 8 for pairs: no remainder.
    `  br i1 %ein, label %bbody, label ${pairs ? "%rdone" : "%rhead"}`,
    "bbody:",
  );
  for (let j = 0; j < LANES; j++) {
    L.push(
      `  %p${j} = getelementptr inbounds double, double* %row${j}, i64 %e`,
      `  %pv${j} = bitcast double* %p${j} to ${vec}*`,
      `  %v0_${j} = load ${vec}, ${vec}* %pv${j}, align 8`,
    );
    if (!pairs) check(`%v0_${j}`, `%bad${j}`, j === 0 ? `%bad` : `%bad${j - 1}`, vec, `v${j}`);
    else {
      // The packed copies keep bounds instead of counts: the OR of v − floor(v)'s bits (nonzero
      // for a fraction, NaN or ±∞), and the least and largest values.
      const [bad, mx, mn] = j === 0 ? ["%bad", "%wide", "%uwide"] : [`%bad${j - 1}`, `%wide${j - 1}`, `%uwide${j - 1}`];
      L.push(
        `  %fl${j} = call ${vec} @llvm.floor.v${LANES}f64(${vec} %v0_${j})`,
        `  %fr${j} = fsub ${vec} %v0_${j}, %fl${j}`,
        `  %frb${j} = bitcast ${vec} %fr${j} to <${LANES} x i64>`,
        `  %bad${j} = or <${LANES} x i64> ${bad}, %frb${j}`,
        `  %gt${j} = fcmp ogt ${vec} %v0_${j}, ${mx}`,
        `  %wide${j} = select <${LANES} x i1> %gt${j}, ${vec} %v0_${j}, ${vec} ${mx}`,
        `  %lt${j}v = fcmp olt ${vec} %v0_${j}, ${mn}`,
        `  %uwide${j} = select <${LANES} x i1> %lt${j}v, ${vec} %v0_${j}, ${vec} ${mn}`,
      );
    }
  }
  L.push(...transposeLines("v"));
  if (quads) L.push(...quadLines());
  if (pairs) L.push(...pairLines());
  else for (let i = 0; i < LANES; i++) L.push(...slotVectorLines("to", i), `  store ${vec} %v3_${i}, ${vec}* %to${i}, align 8`);
  L.push(`  %enext = add i64 %e, ${LANES}`, "  br label %bhead");
  if (!pairs) remainderLines(L, check);
  L.push(
    "rdone:",
    `  %gnext = add i64 %g, ${LANES}`,
    "  br label %ghead",
    "exit:",
    ...(pairs ? [
      `  %mx = call double @llvm.vector.reduce.fmax.v${LANES}f64(${vec} %wideg)`,
      `  %mn = call double @llvm.vector.reduce.fmin.v${LANES}f64(${vec} %uwideg)`,
      // max |v| = max(−least, largest).
      "  %negmn = fneg double %mn",
      "  %negbig = fcmp ogt double %negmn, %mx",
      "  %widestd = select i1 %negbig, double %negmn, double %mx",
      "  store double %widestd, double* %widest, align 8",
      `  %fracs = call i64 @llvm.vector.reduce.or.v${LANES}i64(<${LANES} x i64> %badg)`,
      "  %nonint = icmp ne i64 %fracs, 0",
      "  %below = fcmp olt double %mn, %min",
      "  %above = fcmp ogt double %mx, %max",
      "  %out1 = or i1 %nonint, %below",
      "  %out2 = or i1 %out1, %above",
      "  %total = zext i1 %out2 to i64",
    ] : [`  %total = call i64 @llvm.vector.reduce.add.v${LANES}i64(<${LANES} x i64> %badg)`]),
    // u8 when the least value is ≥ 0 (−0 included) and the largest at most 255: the largest, else −1 (its sign bit fails the check).
    ...(quads ? ["  %nonneg = fcmp oge double %mn, 0.0", "  %u8d = select i1 %nonneg, double %mx, double -1.0", "  store double %u8d, double* %widestBits, align 8"] : []),
    "  ret i64 %total",
    "}",
    "",
  );
  return L.join("\n");
}


/**
 * `void fhec_output_f64(double* dst, double* slot, i64 n, i64 cap, i64 live)`:
 * dst[s·n + e] = slot[e·cap + s] for s < live, e < n.
 */
export function outputKernelIr(triple: string): string {
  const L: string[] = [];
  L.push(
    `target triple = "${triple}"`,
    "",
    `define linkonce_odr hidden void @${OUTPUT_KERNEL_SYMBOL}(double* noalias nocapture %dst, double* noalias nocapture readonly %slot, i64 %n, i64 %cap, i64 %live) {`,
    "entry:",
    `  %nfull = and i64 %n, ${-LANES}`,
    `  %gfull = and i64 %live, ${-LANES}`,
    "  br label %ghead",
    // Whole groups of 8 samples.
    "ghead:",
    "  %g = phi i64 [ 0, %entry ], [ %gnext, %rdone ]",
    "  %gin = icmp slt i64 %g, %gfull",
    "  br i1 %gin, label %gbody, label %thead",
    "gbody:",
  );
  for (let j = 0; j < LANES; j++) L.push(`  %s${j} = add i64 %g, ${j}`, `  %ro${j} = mul i64 %s${j}, %n`, `  %row${j} = getelementptr inbounds double, double* %dst, i64 %ro${j}`);
  L.push("  br label %bhead", "bhead:", "  %e = phi i64 [ 0, %gbody ], [ %enext, %bbody ]", "  %ein = icmp slt i64 %e, %nfull", "  br i1 %ein, label %bbody, label %rhead", "bbody:");
  for (let i = 0; i < LANES; i++) L.push(...slotVectorLines("from", i), `  %v0_${i} = load ${vec}, ${vec}* %from${i}, align 8`);
  L.push(...transposeLines("v"));
  for (let j = 0; j < LANES; j++) {
    L.push(
      `  %dp${j} = getelementptr inbounds double, double* %row${j}, i64 %e`,
      `  %dpv${j} = bitcast double* %dp${j} to ${vec}*`,
      `  store ${vec} %v3_${j}, ${vec}* %dpv${j}, align 8`,
    );
  }
  L.push(
    `  %enext = add i64 %e, ${LANES}`,
    "  br label %bhead",
    // The last n mod 8 elements of the group, value by value.
    "rhead:",
    "  %er = phi i64 [ %nfull, %bhead ], [ %ernext, %rbody ]",
    "  %erin = icmp slt i64 %er, %n",
    "  br i1 %erin, label %rbody, label %rdone",
    "rbody:",
    "  %rso = mul i64 %er, %cap",
    "  %rsg = add i64 %rso, %g",
  );
  for (let j = 0; j < LANES; j++) {
    L.push(
      `  %xs${j} = add i64 %rsg, ${j}`,
      `  %xp${j} = getelementptr inbounds double, double* %slot, i64 %xs${j}`,
      `  %x${j} = load double, double* %xp${j}, align 8`,
      `  %q${j} = getelementptr inbounds double, double* %row${j}, i64 %er`,
      `  store double %x${j}, double* %q${j}, align 8`,
    );
  }
  L.push(
    "  %ernext = add i64 %er, 1",
    "  br label %rhead",
    "rdone:",
    `  %gnext = add i64 %g, ${LANES}`,
    "  br label %ghead",
    // The last live mod 8 samples, value by value.
    "thead:",
    "  %t = phi i64 [ %gfull, %ghead ], [ %tnext, %tdone ]",
    "  %tin = icmp slt i64 %t, %live",
    "  br i1 %tin, label %tpre, label %exit",
    "tpre:",
    "  %to = mul i64 %t, %n",
    "  br label %tehead",
    "tehead:",
    "  %te = phi i64 [ 0, %tpre ], [ %tenext, %tebody ]",
    "  %tein = icmp slt i64 %te, %n",
    "  br i1 %tein, label %tebody, label %tdone",
    "tebody:",
    "  %tso = mul i64 %te, %cap",
    "  %tsg = add i64 %tso, %t",
    "  %tsp = getelementptr inbounds double, double* %slot, i64 %tsg",
    "  %tx = load double, double* %tsp, align 8",
    "  %tdo = add i64 %to, %te",
    "  %tdp = getelementptr inbounds double, double* %dst, i64 %tdo",
    "  store double %tx, double* %tdp, align 8",
    "  %tenext = add i64 %te, 1",
    "  br label %tehead",
    "tdone:",
    "  %tnext = add i64 %t, 1",
    "  br label %thead",
    "exit:",
    "  ret void",
    "}",
    "",
  );
  return L.join("\n");
}
