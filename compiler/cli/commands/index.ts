// Every `fhec` subcommand, in the order `fhec --help` lists them.
import type { Command } from "../command.js";
import { optCommand } from "./opt.js";

export const commands: readonly Command[] = [optCommand];
