import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateSecurityGroupCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DeletePublicAccessBlockCommand,
  GetPublicAccessBlockCommand,
  PutPublicAccessBlockCommand,
  S3ControlClient,
} from '@aws-sdk/client-s3-control';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  awsClientConfig,
  checkMoto,
  MOTO_ACCOUNT_ID,
  type MotoServer,
  MotoUnavailableError,
  s3ControlEndpointProvider,
  startMoto,
} from '../src/moto/index.js';

const SERVER_TS = resolve(import.meta.dirname, '../src/moto/server.ts');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return condition();
}

/** A stand-in interpreter that behaves like a Python without moto installed. */
function pythonWithoutMoto(dir: string): string {
  const path = join(dir, 'python3');
  writeFileSync(
    path,
    '#!/bin/sh\necho "Traceback (most recent call last):" >&2\necho "ModuleNotFoundError: No module named \'moto\'" >&2\nexit 1\n',
  );
  chmodSync(path, 0o755);
  return path;
}

// No skips: without moto this file fails, saying how to install it.
let moto: MotoServer;
beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});

describe('startMoto', () => {
  it('serves on a loopback port and answers', async () => {
    expect(moto.endpoint).toBe(`http://127.0.0.1:${moto.port}`);
    const res = await fetch(`${moto.endpoint}/moto-api/`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });

  it('serves the real SDK through awsClientConfig, and reset() forgets everything', async () => {
    const s3 = new S3Client(awsClientConfig(moto.endpoint));
    const ec2 = new EC2Client(awsClientConfig(moto.endpoint));
    await s3.send(new CreateBucketCommand({ Bucket: 'reset-me' }));
    const group = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'reset-me', Description: 'x' }));
    const before = await s3.send(new ListBucketsCommand({}));
    expect(before.Buckets?.map((b) => b.Name)).toContain('reset-me');

    await moto.reset();

    const after = await s3.send(new ListBucketsCommand({}));
    expect(after.Buckets ?? []).toEqual([]);
    await expect(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [group.GroupId!] }))).rejects.toMatchObject({
      name: 'InvalidGroup.NotFound',
    });
  });

  it('logs no line per request unless asked to; requestLog keeps them in output()', async () => {
    const requestLines = (m: MotoServer) =>
      m
        .output()
        .split('\n')
        .filter((l) => l.includes('"GET /moto-api/'));
    await (await fetch(`${moto.endpoint}/moto-api/`)).arrayBuffer();
    const other = await startMoto({ requestLog: true });
    try {
      await (await fetch(`${other.endpoint}/moto-api/`)).arrayBuffer();
      // The pipe delivers asynchronously: wait for the line rather than for a fixed time.
      for (let i = 0; i < 100 && requestLines(other).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(requestLines(other).length).toBeGreaterThan(0);
      expect(requestLines(moto)).toEqual([]);
    } finally {
      await other.stop();
    }
  });

  it('stop() ends the process and frees the port', async () => {
    const other = await startMoto();
    expect(alive(other.pid)).toBe(true);
    await other.stop();
    expect(alive(other.pid)).toBe(false);
    await expect(fetch(`${other.endpoint}/moto-api/`)).rejects.toThrow();
    await other.stop(); // twice is fine
  });

  it('the server dies with a parent that is killed without cleanup', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reflex-moto-'));
    try {
      const script = join(dir, 'parent.mts');
      writeFileSync(
        script,
        `import { startMoto } from ${JSON.stringify(SERVER_TS)};\n` +
          'const m = await startMoto();\nconsole.log(m.pid);\nsetInterval(() => {}, 1000);\n',
      );
      const parent = spawn(process.execPath, ['--import', 'tsx', script], {
        cwd: resolve(import.meta.dirname, '../..'),
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const pid = await new Promise<number>((resolvePid, reject) => {
        let out = '';
        parent.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /^(\d+)\n/m.exec(out);
          if (match) resolvePid(Number(match[1]));
        });
        parent.once('exit', (code) => reject(new Error(`parent exited early (${code})`)));
      });
      expect(alive(pid)).toBe(true);
      parent.kill('SIGKILL');
      expect(await until(() => !alive(pid), 5_000)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('missing moto', () => {
  it('checkMoto() tells whether moto is importable', () => {
    const here = checkMoto();
    expect(here, 'moto must be installed for these tests: pip install "moto[server]"').toMatchObject({
      available: true,
    });
    const dir = mkdtempSync(join(tmpdir(), 'reflex-nomoto-'));
    try {
      expect(checkMoto({ python: pythonWithoutMoto(dir) })).toMatchObject({
        available: false,
        reason: "python module 'moto' is missing",
        hint: 'pip install "moto[server]"',
      });
      expect(checkMoto({ python: join(dir, 'no-such-python') })).toMatchObject({ available: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('startMoto() throws MotoUnavailableError with the install command', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reflex-nomoto-'));
    try {
      for (const python of [pythonWithoutMoto(dir), join(dir, 'no-such-python')]) {
        const failure = await startMoto({ python }).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(failure).toBeInstanceOf(MotoUnavailableError);
        expect((failure as Error).message).toContain('pip install "moto[server]"');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('awsClientConfig', () => {
  it('is path-style, us-east-1, static test credentials, and never localhost', () => {
    expect(awsClientConfig('http://localhost:5000')).toEqual({
      endpoint: 'http://127.0.0.1:5000',
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    expect(awsClientConfig(moto.endpoint).endpoint).toBe(moto.endpoint);
  });
});

describe('S3 Control against moto', () => {
  const pab = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };

  it('account-level public access block: Get (404) / Put / Get / Delete / Get (404) with s3ControlEndpointProvider', async () => {
    const client = new S3ControlClient({
      ...awsClientConfig(moto.endpoint),
      endpointProvider: s3ControlEndpointProvider(moto.endpoint),
    });
    const AccountId = MOTO_ACCOUNT_ID;
    await expect(client.send(new GetPublicAccessBlockCommand({ AccountId }))).rejects.toMatchObject({
      name: 'NoSuchPublicAccessBlockConfiguration',
      $metadata: { httpStatusCode: 404 },
    });
    await client.send(new PutPublicAccessBlockCommand({ AccountId, PublicAccessBlockConfiguration: pab }));
    const got = await client.send(new GetPublicAccessBlockCommand({ AccountId }));
    expect(got.PublicAccessBlockConfiguration).toEqual(pab);
    await client.send(new DeletePublicAccessBlockCommand({ AccountId }));
    await expect(client.send(new GetPublicAccessBlockCommand({ AccountId }))).rejects.toMatchObject({
      name: 'NoSuchPublicAccessBlockConfiguration',
    });
  });

  it('without the provider the SDK builds an invalid host (why the provider exists)', async () => {
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {}); // smithy logs the bad URL before throwing
    for (const extra of [{}, { disableHostPrefix: true }]) {
      const client = new S3ControlClient({ ...awsClientConfig(moto.endpoint), ...extra });
      await expect(client.send(new GetPublicAccessBlockCommand({ AccountId: MOTO_ACCOUNT_ID }))).rejects.toThrow(
        /Invalid URL/,
      );
    }
    quiet.mockRestore();
  });
});
