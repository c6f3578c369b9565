// Data-driven table precision: each table reads its input through a window (`fhe.rescale`) fitted to
// the range the input reaches on calibration data, widened by a margin, instead of the top bits of
// the worst-case static range. On deep layers the static range is many bits wider than what data
// ever reaches, so the same q-bit table resolves the data far more finely.
//
// A window keeps q bits: r = round((x − offset)/2^shift) ∈ [0, 2^q). Mapped tables get one window
// per table row (rows are per-channel functions, whose ranges differ); a single table one window.
// Values outside the window are read modulo 2^(q+1) (negacyclically by the table), identically in
// the clear backend and in TFHE; the clear backend counts them per op.
import { type DenseAttr, denseAttr } from "../ir/attributes.js";
import { Builder } from "../ir/builder.js";
import type { FuncOp, Operation, Value } from "../ir/core.js";
import { tableIndex } from "../ir/dialects/fhe.js";
import { elementOf, type EncryptedIntType, i64, intRange, shapeOf, tensor, withElement } from "../ir/types.js";
import { analyzeIntervals, applyBitwidths, type Interval, TABLE_OPS } from "./bitwidth.js";
import { roundShift } from "./quantize/tables.js";
import { chooseShift } from "./rounding.js";

/** Per-element min/max of a value over the calibration set. */
export interface ElementRanges {
  readonly mins: Float64Array;
  readonly maxs: Float64Array;
}

/** One table of the circuit and the value a window would read. */
export interface WindowSite {
  readonly table: Operation;
  /** The accumulator (before any static `fhe.round` that only this table reads). */
  readonly source: Value;
  /** A static approximate rounding between source and table, replaced by the window. */
  readonly round: Operation | undefined;
}

const encOf = (v: Value): EncryptedIntType => elementOf(v.type) as EncryptedIntType;

/** Every table lookup with the value its window reads. */
export function windowSites(func: FuncOp): WindowSite[] {
  const sites: WindowSite[] = [];
  for (const op of func.body.ops) {
    if (!TABLE_OPS.has(op.name)) continue;
    const x = op.operands[0]!;
    const def = x.definingOp;
    const staticRound =
      def?.name === "fhe.round" && (def.attr("method") as { value: string }).value === "approximate" && x.uses.length === 1 ? def : undefined;
    sites.push({ table: op, source: staticRound ? staticRound.operands[0]! : x, round: staticRound });
  }
  return sites;
}

/** Bits a table reads today (its input width). */
export function siteBits(site: WindowSite): number {
  return encOf(site.table.operands[0]!).width;
}

interface Window {
  readonly offset: number;
  readonly shift: number;
}

/**
 * The q-bit window covering [lo, hi] widened by `margin`·(hi − lo) on each side (never past the
 * static interval), centred. r = floor((x − E)/2^shift) with E = offset − 2^(shift−1): E and every
 * E + i·2^shift are rounding ties, where approximate rounding may go either way; so the covered
 * values stay at least half a step inside [E, E + 2^(q+shift)), and a tie can never take a covered
 * value out of the window. Undefined when that needs a shift above P − q (the range is nearly the
 * whole static range: the static rounding serves it as well).
 */
export function fitWindow(lo: number, hi: number, q: number, margin: number, P: number, stat: Interval): Window | undefined {
  const span = Math.max(hi - lo, 1);
  const a = Math.max(Math.floor(lo - margin * span), stat.lo);
  const b = Math.max(Math.min(Math.ceil(hi + margin * span), stat.hi), a);
  const width = b - a + 1;
  if (width <= 2 ** q) return { offset: a - Math.floor((2 ** q - width) / 2), shift: 0 }; // no rounding, no ties
  let shift = 1;
  while (width - 1 > 2 ** (q + shift) - 2 ** shift) {
    shift++;
    if (shift > P - q) return undefined;
  }
  const inner = 2 ** (q + shift) - 2 ** shift;
  const E = a - 2 ** (shift - 1) - Math.floor((inner - (width - 1)) / 2);
  return { offset: E + 2 ** (shift - 1), shift };
}

export interface WindowReport {
  readonly table: Operation;
  readonly bits: number;
  /** Bits the table read before (the static rounding's width). */
  readonly previousBits: number;
  readonly windows: number;
}

/**
 * Replaces the static rounding (or the direct read) of each chosen table by a data-fitted window
 * of `bits` bits, resampling the table. `ranges` holds the calibration ranges of the sources.
 */
export function applyWindows(
  func: FuncOp,
  bitsPerSite: readonly (number | undefined)[],
  rangesPerSite: readonly (ElementRanges | undefined)[],
  margin: number,
): WindowReport[] {
  const reports: WindowReport[] = [];
  const staticIntervals = analyzeIntervals(func);
  const staticRounds = new Map<Operation, number>();
  windowSites(func).forEach((site, index) => {
    const q = bitsPerSite[index];
    const r = rangesPerSite[index];
    if (q === undefined || !r) return;
    const src = encOf(site.source);
    const P = src.width;
    const previousBits = siteBits(site);
    if (previousBits <= q) return; // already narrow enough: it keeps what it reads today
    const op = site.table;
    const map = op.name === "fhe.apply_mapped_lookup_table" ? (op.attr("map") as DenseAttr).data : undefined;
    const size = r.mins.length;
    // One window per table row, over the elements that read it.
    const { rowLo, rowHi } = rowRanges(site, r);
    const rows = rowLo.length;
    const full = intRange(P, src.signed);
    const statIv = staticIntervals.get(site.source) ?? { lo: full.min, hi: full.max };
    const fitted: (Window | undefined)[] = [];
    for (let t = 0; t < rows; t++) {
      // A row no element reads keeps any window: its entries are never used.
      fitted.push(Number.isFinite(rowLo[t]!) ? fitWindow(rowLo[t]!, rowHi[t]!, q, margin, P, statIv) : { offset: 0, shift: 0 });
    }
    if (fitted.some((w) => w === undefined)) {
      // The data span nearly the whole static range: round the static range to q bits instead.
      const { round, shift } = staticRound(site, q, statIv);
      staticRounds.set(round, shift);
      reports.push({ table: op, bits: q, previousBits, windows: 0 });
      return;
    }
    const windows = fitted as Window[];
    const tables = resample(site, q, (t, j) => windows[t]!.offset + j * 2 ** windows[t]!.shift);
    const offsets = new Float64Array(size);
    const shifts = new Float64Array(size);
    for (let e = 0; e < size; e++) {
      const w = windows[map ? map[e]! : 0]!;
      offsets[e] = w.offset;
      shifts[e] = w.shift;
    }
    const uniform = windows.every((w) => w.offset === windows[0]!.offset && w.shift === windows[0]!.shift);
    const shape = shapeOf(site.source.type) as number[];
    const attrOf = (data: Float64Array) => (uniform ? denseAttr(tensor([1], i64), [data[0]!]) : denseAttr(tensor([...shape], i64), data));
    const rescale = Builder.before(op).create(
      "fhe.rescale",
      [site.source],
      [withElement(site.source.type, { kind: "eint", width: q, signed: false })],
      { offset: attrOf(offsets), shift: attrOf(shifts) },
      { loc: op.loc },
    );
    attach(site, rescale, q, tables);
    reports.push({ table: op, bits: q, previousBits, windows: uniform ? 1 : rows });
  });
  applyBitwidths(func, { roundShift: staticRounds });
  return reports;
}

/** Per table row, the calibrated range of the elements that read it (±Infinity for a row none reads). */
function rowRanges(site: WindowSite, r: ElementRanges): { rowLo: Float64Array; rowHi: Float64Array } {
  const op = site.table;
  const mapped = op.name === "fhe.apply_mapped_lookup_table";
  const rows = (op.attr(mapped ? "tables" : "table") as DenseAttr).data.length / 2 ** encOf(op.operands[0]!).width;
  const map = mapped ? (op.attr("map") as DenseAttr).data : undefined;
  const rowLo = new Float64Array(rows).fill(Infinity);
  const rowHi = new Float64Array(rows).fill(-Infinity);
  for (let e = 0; e < r.mins.length; e++) {
    const t = map ? map[e]! : 0;
    rowLo[t] = Math.min(rowLo[t]!, r.mins[e]!);
    rowHi[t] = Math.max(rowHi[t]!, r.maxs[e]!);
  }
  return { rowLo, rowHi };
}

/**
 * The most output changes any row of the site's table makes across its calibrated range (the
 * table as it reads its source before any window: a staircase of K steps there has K changes).
 */
export function stepsInRange(site: WindowSite, r: ElementRanges): number {
  const table = currentTable(site);
  const { rowLo, rowHi } = rowRanges(site, r);
  let most = 0;
  for (let t = 0; t < rowLo.length; t++) {
    if (!Number.isFinite(rowLo[t]!)) continue;
    const to = table.index(rowHi[t]!);
    let changes = 0;
    for (let v = table.index(rowLo[t]!) + 1; v <= to; v++) if (table.entry(t, v) !== table.entry(t, v - 1)) changes++;
    most = Math.max(most, changes);
  }
  return most;
}

/**
 * The site's table as it reads its source before any window: `index` maps a source value to the
 * value the table reads (through the site's static rounding, clamped to the table's domain), and
 * `entry(row, v)` is the table's entry there.
 */
function currentTable(site: WindowSite): { rows: number; index: (x: number) => number; entry: (row: number, v: number) => number } {
  const op = site.table;
  const old = (op.attr(op.name === "fhe.apply_mapped_lookup_table" ? "tables" : "table") as DenseAttr).data;
  const inE = encOf(op.operands[0]!);
  const oldSize = 2 ** inE.width;
  const k0 = site.round ? encOf(site.round.operands[0]!).width - encOf(site.round.result).width : 0;
  const oldRange = intRange(inE.width, inE.signed);
  return {
    rows: old.length / oldSize,
    index: (x) => Math.min(Math.max(roundShift(x, k0), oldRange.min), oldRange.max),
    entry: (row, v) => old[row * oldSize + tableIndex(v, inE.width)]!,
  };
}

/**
 * Static rounding of a site's source to q bits (the rounding pass's rule: the smallest shift whose
 * rounded static interval fits q bits), replacing the site's finer rounding; the table is resampled.
 */
function staticRound(site: WindowSite, q: number, stat: Interval): { round: Operation; shift: number } {
  const op = site.table;
  const src = encOf(site.source);
  const shift = chooseShift(src.width, q, src.signed, stat);
  // Entry i holds the q-bit value with that bit pattern (two's complement when signed).
  const valueOf = (i: number): number => (src.signed && i >= 2 ** (q - 1) ? i - 2 ** q : i);
  const tables = resample(site, q, (_t, i) => valueOf(i) * 2 ** shift);
  const round = Builder.before(op).create(
    "fhe.round",
    [site.source],
    [withElement(site.source.type, { kind: "eint", width: q, signed: src.signed })],
    { method: { kind: "string", value: "approximate" } },
    { loc: op.loc },
  );
  attach(site, round, q, tables);
  return { round, shift };
}

/**
 * The site's table for a q-bit reader: entry i of row t is the old entry at source value
 * `sourceAt(t, i)` (through the site's old static rounding, clamped to the old domain).
 */
function resample(site: WindowSite, q: number, sourceAt: (row: number, index: number) => number): Float64Array {
  const table = currentTable(site);
  const size = 2 ** q;
  const tables = new Float64Array(table.rows * size);
  for (let t = 0; t < table.rows; t++) {
    for (let i = 0; i < size; i++) tables[t * size + i] = table.entry(t, table.index(sourceAt(t, i)));
  }
  return tables;
}

/** Makes the site's table read `reader` (q bits) with the resampled `tables`; drops the old rounding. */
function attach(site: WindowSite, reader: Operation, q: number, tables: Float64Array): void {
  const op = site.table;
  const mapped = op.name === "fhe.apply_mapped_lookup_table";
  const size = 2 ** q;
  op.setOperand(0, reader.result);
  op.attributes.set(mapped ? "tables" : "table", denseAttr(mapped ? tensor([tables.length / size, size], i64) : tensor([size], i64), tables));
  if (site.round && site.round.result.uses.length === 0) site.round.erase();
}
