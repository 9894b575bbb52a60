/**
 * Glob over resource ids: `*` matches any run of characters (slashes included, since ARNs and ARM ids
 * are matched whole), `?` one character. Case-insensitive, as ARM ids are. A few lines, so no dependency.
 */
export function globMatch(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(value);
}
