// `npm run bench -- NAME [args]`: runs bench/NAME.ts (compiled to dist/bench/NAME.js), which
// exports `main(args)`; prints a markdown table and writes bench/out/NAME.json.
const [name, ...args] = process.argv.slice(2);
const known = ["pbs", "models", "models_fhe", "simulate", "compile", "artifacts", "fidelity", "fuzz", "serve"];
if (!name || !known.includes(name)) {
  console.error(`usage: npm run bench -- <${known.join("|")}> [options]`);
  process.exit(2);
}
try {
  const mod = (await import(`./${name}.js`)) as { main(args: string[]): Promise<void> };
  await mod.main(args);
} catch (err) {
  if ((err as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND") {
    console.error(`bench '${name}' is not built yet (no bench/${name}.ts)`);
    process.exit(2);
  }
  throw err;
}
