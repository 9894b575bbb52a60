import { RULES } from '@reflex/core';
import type { Io } from '../io.js';
import { EXIT } from '../report.js';

export function explainCommand(name: string | undefined, io: Io): number {
  const rules = name ? RULES.filter((r) => r.name === name) : RULES;
  if (rules.length === 0) {
    io.err(`unknown rule ${JSON.stringify(name)}; rules: ${RULES.map((r) => r.name).join(', ')}\n`);
    return EXIT.badInput;
  }
  for (const r of rules) io.out(`${r.name} (${r.severity}, ${r.appliesTo})\n  ${r.description}\n\n`);
  return EXIT.ok;
}
