// Every `fhec` subcommand, in the order `fhec --help` lists them.
import type { Command } from "../command.js";
import { importCommand } from "./import.js";
import { optCommand } from "./opt.js";
import { referenceCommand } from "./reference.js";

export const commands: readonly Command[] = [importCommand, referenceCommand, optCommand];
