/** Where the CLI writes: stdout and stderr in bin.ts, strings in tests. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}
