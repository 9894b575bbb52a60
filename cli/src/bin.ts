#!/usr/bin/env node
import { CommanderError } from 'commander';
import { processIo } from './io.js';
import { buildProgram, EXIT } from './program.js';

// Everything written goes through terminalSafe: cloud-written text must not drive the responder's terminal.
const io = processIo();
let code: number = EXIT.ok;
try {
  await buildProgram(io, (c) => {
    code = c;
  }).parseAsync(process.argv);
} catch (err) {
  // Commander throws on --help/--version (exit 0) and on bad usage (exit 2 here: bad input).
  if (err instanceof CommanderError) code = err.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  else {
    io.err(`reflex: ${(err as Error).message}\n`);
    code = EXIT.badInput;
  }
}
process.exitCode = code;
