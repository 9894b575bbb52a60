import type { Ticket } from '../ticket.js';
import { ticketFacts } from './render.js';

/** A small, valid subset of the Atlassian Document Format (Jira Cloud REST v3 rich text). */
export type AdfMark = { type: 'strong' } | { type: 'code' };
export type AdfInline = { type: 'text'; text: string; marks?: AdfMark[] };
export type AdfBlock =
  | { type: 'heading'; attrs: { level: 1 | 2 | 3 | 4 | 5 | 6 }; content: AdfInline[] }
  | { type: 'paragraph'; content: AdfInline[] }
  | { type: 'bulletList'; content: { type: 'listItem'; content: AdfBlock[] }[] }
  | { type: 'codeBlock'; attrs: { language: string }; content: AdfInline[] }
  | { type: 'table'; content: { type: 'tableRow'; content: AdfCell[] }[] };
export type AdfCell = { type: 'tableHeader' | 'tableCell'; content: AdfBlock[] };
export interface AdfDoc {
  type: 'doc';
  version: 1;
  content: AdfBlock[];
}

/** ADF rejects empty text nodes: every builder drops them. */
export const text = (value: string, ...marks: AdfMark[]): AdfInline[] =>
  value === '' ? [] : [{ type: 'text', text: value, ...(marks.length ? { marks } : {}) }];
export const strong = (value: string) => text(value, { type: 'strong' });
export const code = (value: string) => text(value, { type: 'code' });
export const paragraph = (...parts: AdfInline[][]): AdfBlock => ({ type: 'paragraph', content: parts.flat() });
export const heading = (level: 2 | 3, value: string): AdfBlock => ({
  type: 'heading',
  attrs: { level },
  content: text(value),
});
export const codeBlock = (value: string, language: string): AdfBlock => ({
  type: 'codeBlock',
  attrs: { language },
  content: text(value),
});
export const bulletList = (items: string[]): AdfBlock => ({
  type: 'bulletList',
  content: items.map((i) => ({ type: 'listItem', content: [paragraph(text(i))] })),
});
const cell = (type: AdfCell['type'], ...parts: AdfInline[][]): AdfCell => ({ type, content: [paragraph(...parts)] });

export const doc = (...content: AdfBlock[]): AdfDoc => ({ type: 'doc', version: 1, content });

/** The issue description: facts table, evidence list, why, then each step's API call and CLI command. */
export function ticketDocument(t: Ticket): AdfDoc {
  const blocks: AdfBlock[] = [
    paragraph(strong(t.finding.title)),
    {
      type: 'table',
      content: ticketFacts(t).map(([label, value]) => ({
        type: 'tableRow',
        content: [
          cell('tableHeader', strong(label)),
          cell('tableCell', label === 'Resource' ? code(value) : text(value)),
        ],
      })),
    },
    heading(3, 'Evidence'),
    t.finding.evidence.length ? bulletList(t.finding.evidence) : paragraph(text('(none recorded)')),
    heading(3, 'Why it was not fixed automatically'),
    paragraph(text(t.reason)),
  ];
  if (t.steps.length) {
    blocks.push(heading(3, 'Planned changes'));
    t.steps.forEach((s, i) => {
      blocks.push(
        paragraph(strong(`${i + 1}. ${s.summary}`), text(' — needs '), code(s.permission)),
        paragraph(text('API call:')),
        codeBlock(s.api, 'text'),
        paragraph(text('CLI:')),
        codeBlock(s.cli, 'bash'),
      );
    });
  }
  blocks.push(
    heading(3, 'Apply or exempt'),
    paragraph(text('To apply:')),
    codeBlock(t.howToApply, 'bash'),
    paragraph(text('To exempt:')),
    codeBlock(t.howToExempt, 'bash'),
    paragraph(text('Reflex dedupe key: '), code(t.dedupeKey)),
  );
  return doc(...blocks);
}
