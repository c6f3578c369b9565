// Every `fhec` subcommand, in the order `fhec --help` lists them.
import type { Command } from "../command.js";
import { compileCommand } from "./compile.js";
import { decryptCommand, encryptCommand, keygenCommand, runCommand } from "./deploy.js";
import { importCommand } from "./import.js";
import { infoCommand } from "./info.js";
import { optCommand } from "./opt.js";
import { referenceCommand } from "./reference.js";
import { remoteCommand } from "./remote.js";
import { serveCommand } from "./serve.js";
import { predictCommand, simulateCommand } from "./run_clear.js";

export const commands: readonly Command[] = [
  compileCommand,
  simulateCommand,
  predictCommand,
  infoCommand,
  keygenCommand,
  encryptCommand,
  runCommand,
  decryptCommand,
  serveCommand,
  remoteCommand,
  importCommand,
  referenceCommand,
  optCommand,
];
