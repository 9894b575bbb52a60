import { loadPolicyFile, PolicyError, RULE_NAMES, ruleMode } from '@reflex/core';
import type { Io } from '../io.js';
import { EXIT } from '../report.js';

export function validateCommand(file: string, output: 'table' | 'json', io: Io): number {
  try {
    const policy = loadPolicyFile(file);
    const modes = Object.fromEntries(RULE_NAMES.map((r) => [r, ruleMode(policy, r)]));
    if (output === 'json') io.out(`${JSON.stringify({ valid: true, file, modes }, null, 2)}\n`);
    else io.out(`${file}: valid\n${RULE_NAMES.map((r) => `  ${r.padEnd(30)} ${modes[r]}`).join('\n')}\n`);
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    if (output === 'json') io.out(`${JSON.stringify({ valid: false, file, problems: err.problems }, null, 2)}\n`);
    else io.err(`${err.message}\n`);
    return EXIT.badInput;
  }
}
