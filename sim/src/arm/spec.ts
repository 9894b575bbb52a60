import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The REST spec files the emulator serves. Everything about an operation that the spec states
 * (which api-version, which success codes, whether it is long-running and how it is polled, whether
 * a list pages with nextLink) is read from these files, not restated in code.
 */
export const SPEC_FILES = [
  'storage/resource-manager/Microsoft.Storage/stable/2025-08-01/storage.json',
  'storage/resource-manager/Microsoft.Storage/stable/2025-08-01/blob.json',
  'network/resource-manager/Microsoft.Network/stable/2026-01-01/networkSecurityGroup.json',
  'network/resource-manager/Microsoft.Network/stable/2026-01-01/networkWatcher.json',
  'network/resource-manager/Microsoft.Network/stable/2026-01-01/virtualNetwork.json',
  'monitor/resource-manager/Microsoft.Insights/preview/2021-05-01-preview/diagnosticsSettings_API.json',
] as const;

/** Where the vendored specs sit inside the `@reflex/sim` package (see `specs/azure/PROVENANCE.md`). */
const VENDORED = join('specs', 'azure', 'specification');

/**
 * `REFLEX_AZURE_SPECS`, else the specs vendored in this package: found by walking up from this module to the
 * package's own root, so it holds from `sim/src` under tsx, from a built `dist/`, and from
 * `node_modules/@reflex/sim`. Nothing outside the package is read.
 */
export function specRoot(): string {
  const fromEnv = process.env['REFLEX_AZURE_SPECS'];
  if (fromEnv) return fromEnv;
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    const candidate = join(dir, VENDORED);
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new Error(
    `the Azure REST specs are not in the @reflex/sim package above ${here} (${VENDORED}); set REFLEX_AZURE_SPECS`,
  );
}

export type FinalStateVia = 'azure-async-operation' | 'location' | 'original-uri' | 'operation-location';

export interface SpecOperation {
  operationId: string;
  method: string;
  /** Path template as written in the spec, e.g. `/subscriptions/{subscriptionId}/...`. */
  template: string;
  apiVersion: string;
  /** Declared success codes (2xx), ascending. */
  successCodes: number[];
  /** True when the spec declares a `default` (error) response. */
  declaresErrors: boolean;
  longRunning: boolean;
  finalStateVia?: FinalStateVia;
  /** Present when the spec marks the operation `x-ms-pageable`; `null` means one page only. */
  nextLinkName?: string | null;
  file: string;
  regex: RegExp;
}

interface RawOperation {
  operationId?: string;
  responses?: Record<string, unknown>;
  'x-ms-long-running-operation'?: boolean;
  'x-ms-long-running-operation-options'?: { 'final-state-via'?: FinalStateVia };
  'x-ms-pageable'?: { nextLinkName?: string | null };
}

const METHODS = ['get', 'put', 'patch', 'delete', 'post', 'head'];

function templateRegex(template: string): RegExp {
  const parts = template.split(/(\{[^}]+\})/).map((part) => {
    if (part === '{resourceUri}') return '(.+)';
    if (part.startsWith('{')) return '([^/]+)';
    return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  });
  // ARM paths are case-insensitive.
  return new RegExp(`^${parts.join('')}$`, 'i');
}

export class SpecCatalogue {
  readonly operations: SpecOperation[] = [];

  constructor(readonly root: string = specRoot()) {
    for (const file of SPEC_FILES) {
      const doc = JSON.parse(readFileSync(join(root, file), 'utf8')) as {
        info: { version: string };
        paths: Record<string, Record<string, RawOperation>>;
      };
      for (const [template, item] of Object.entries(doc.paths)) {
        for (const method of METHODS) {
          const op = item[method];
          if (!op?.operationId) continue;
          const codes = Object.keys(op.responses ?? {});
          this.operations.push({
            operationId: op.operationId,
            method: method.toUpperCase(),
            template,
            apiVersion: doc.info.version,
            successCodes: codes
              .filter((c) => /^2\d\d$/.test(c))
              .map(Number)
              .sort((a, b) => a - b),
            declaresErrors: codes.includes('default'),
            longRunning: op['x-ms-long-running-operation'] === true,
            finalStateVia: op['x-ms-long-running-operation-options']?.['final-state-via'],
            nextLinkName: op['x-ms-pageable'] ? (op['x-ms-pageable'].nextLinkName ?? null) : undefined,
            file,
            regex: templateRegex(template),
          });
        }
      }
    }
    // Literal segments beat parameters (`blobServices/default/containers` before `{resourceUri}`).
    this.operations.sort((a, b) => specificity(b.template) - specificity(a.template));
  }

  /** Operations whose path matches, any method (used to tell "unknown api-version" from "unknown path"). */
  matchPath(path: string): SpecOperation[] {
    return this.operations.filter((op) => op.regex.test(path));
  }

  find(method: string, path: string): SpecOperation | undefined {
    return this.operations.find((op) => op.method === method.toUpperCase() && op.regex.test(path));
  }
}

function specificity(template: string): number {
  const literal = template.replace(/\{[^}]+\}/g, '').length;
  return template.includes('{resourceUri}') ? literal - 1000 : literal;
}
