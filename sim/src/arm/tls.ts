import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LocalCertificate {
  /** PEM private key (never leaves this process). */
  key: string;
  /** PEM self-signed certificate; clients trust exactly this, nothing is ever made insecure. */
  cert: string;
}

let cached: Promise<LocalCertificate> | undefined;

/**
 * A self-signed certificate for 127.0.0.1, generated once per process with the openssl CLI.
 * The Azure SDK refuses to send bearer tokens over plain http, so the emulator must speak TLS;
 * generating per process keeps no key material in the repo.
 */
export function localCertificate(): Promise<LocalCertificate> {
  cached ??= generate().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function generate(): Promise<LocalCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'reflex-arm-tls-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '2',
      '-subj',
      '/CN=reflex-arm-emulator',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
    ]);
    return { key: await readFile(keyPath, 'utf8'), cert: await readFile(certPath, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
