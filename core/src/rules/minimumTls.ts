const TLS_ORDER = ['TLS1_0', 'TLS1_1', 'TLS1_2', 'TLS1_3'];

/**
 * The minimum TLS version the fix writes, or undefined when the current one must stay: already as strict as the
 * policy or stricter (TLS1_3 under a TLS1_2 policy), or a value this code does not know (a newer version is never
 * lowered to an older one it does understand).
 */
export function tlsToRaise(current: string | undefined, policyMinimum: string): string | undefined {
  const rank = TLS_ORDER.indexOf(current ?? 'TLS1_0');
  if (rank < 0) return undefined;
  return rank < TLS_ORDER.indexOf(policyMinimum) ? policyMinimum : undefined;
}
