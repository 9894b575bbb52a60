import * as z from 'zod';
import { PolicySchema } from './schema.js';

/** The JSON Schema published as core/policy.schema.json, for editor completion (yaml-language-server). */
export function policyJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(PolicySchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://reflex.dev/policy.schema.json',
    title: 'Reflex policy',
  };
}
