/**
 * The built Functions app (azure-functions/dist, what is deployed) in a fresh Node process, configured only through
 * the environment as the Functions host would: its managed-identity token comes from an App Service identity
 * endpoint (IDENTITY_ENDPOINT / IDENTITY_HEADER, through DefaultAzureCredential in the bundle), ARM is the emulator.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ArmEmulator, staticArmCredential } from '@reflex/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armIds, BOT, FAST_LRO, humanClients, inbound, nsgWith, policyYaml, RG, SUB, useEmulator } from './harness.js';

const ROOT = join(import.meta.dirname, '../../..');
const DIST = join(ROOT, 'azure-functions/dist');
const IDENTITY_HEADER = 'reflex-test-identity-header';

let emulator: ArmEmulator;
useEmulator((e) => {
  emulator = e;
});

let identity: Server;
let identityEndpoint: string;
let identityCalls = 0;
let caFile: string;

beforeAll(async () => {
  // `npm run build` of azure-functions, as CI runs it (it also fails above the 1 MB budget).
  const build = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'azure-functions/build.ts')], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}${build.stdout}`);
  // The App Service managed-identity protocol: GET ?resource=&api-version=2019-08-01 with X-IDENTITY-HEADER.
  identity = createServer((req, res) => {
    identityCalls++;
    if (req.headers['x-identity-header'] !== IDENTITY_HEADER) return void res.writeHead(401).end();
    void staticArmCredential(BOT)
      .getToken('https://management.azure.com/.default')
      .then((t) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            access_token: t!.token,
            expires_on: String(Math.floor(t!.expiresOnTimestamp / 1000)),
            resource: new URL(req.url ?? '/', 'http://x').searchParams.get('resource'),
            token_type: 'Bearer',
            client_id: BOT.appid,
          }),
        ),
      );
  });
  await new Promise<void>((resolve) => identity.listen(0, '127.0.0.1', resolve));
  identityEndpoint = `http://127.0.0.1:${(identity.address() as { port: number }).port}/msi/token`;
  caFile = join(mkdtempSync(join(tmpdir(), 'reflex-bundle-')), 'ca.pem');
}, 90_000);
afterAll(async () => {
  await new Promise((resolve) => identity?.close(resolve));
});

/**
 * Loads the entry, then the handlers chunk the entry imports on the first invocation, and runs one handler. Async:
 * the emulator and the identity endpoint answer from this process.
 */
async function run(step: { kind: 'event'; event: unknown } | { kind: 'manual'; body: unknown }) {
  writeFileSync(caFile, emulator.ca);
  const script = `import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const { HttpRequest, InvocationContext } = createRequire(${JSON.stringify(join(ROOT, 'azure-functions/package.json'))})('@azure/functions');
await import(${JSON.stringify(join(DIST, 'app.mjs'))});
const chunk = /import\\("\\.\\/(chunks\\/handlers-[^"]+)"\\)/.exec(readFileSync(${JSON.stringify(join(DIST, 'app.mjs'))}, 'utf8'))[1];
const h = await import(${JSON.stringify(DIST)} + '/' + chunk);
const step = JSON.parse(process.env.STEP);
const ctx = (functionName) => new InvocationContext({ invocationId: 'inv-1', functionName, logHandler: () => {} });
const out = step.kind === 'event'
  ? await h.reflexEvents(step.event, ctx('reflexEvents'))
  : (await h.reflexManual(new HttpRequest({ method: 'POST', url: 'https://reflex.example/api/manual', body: { string: JSON.stringify(step.body) } }), ctx('reflexManual'))).jsonBody;
process.stderr.write('RESULT' + JSON.stringify(out));`;
  const stderr = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      {
        encoding: 'utf8',
        timeout: 30_000,
        env: {
          PATH: process.env.PATH,
          NODE_EXTRA_CA_CERTS: caFile,
          IDENTITY_ENDPOINT: identityEndpoint,
          IDENTITY_HEADER,
          REFLEX_ARM_ENDPOINT: emulator.endpoint,
          REFLEX_SUBSCRIPTION_IDS: SUB,
          REFLEX_POLICY: policyYaml(),
          STEP: JSON.stringify(step),
        },
      },
      (err, _stdout, errText) =>
        err ? reject(new Error(`the app failed: ${err.message}\n${errText}`)) : resolve(errText),
    );
  });
  const at = stderr.lastIndexOf('RESULT');
  if (at < 0) throw new Error(`the app answered nothing: ${stderr}`);
  return JSON.parse(stderr.slice(at + 'RESULT'.length)) as {
    outcomes: { rule?: string; status: string; reason: string }[];
  };
}

describe('the built Functions app', () => {
  it('is at most 1,000,000 bytes, entry and chunks together', () => {
    const chunks = readdirSync(join(DIST, 'chunks')).filter((f) => /\.(?:mjs|js|cjs)$/.test(f));
    const bytes = chunks.reduce((sum, f) => sum + statSync(join(DIST, 'chunks', f)).size, 0);
    expect(bytes + statSync(join(DIST, 'app.mjs')).size).toBeLessThanOrEqual(1_000_000);
  });

  it('holds what runs and its licences, no source maps (the zip deploys dist/ as it is)', () => {
    const files = readdirSync(DIST, { recursive: true, encoding: 'utf8' });
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files).toContain('app.mjs');
    const maps = join(ROOT, 'azure-functions/.tsbuild/sourcemaps');
    expect(readdirSync(maps, { recursive: true, encoding: 'utf8' })).toContain('app.mjs.map');
  });

  it('fixes a weak storage account from its Event Grid event, with the managed identity’s token', async () => {
    const human = humanClients(emulator);
    await human.storage.storageAccounts.create(
      RG,
      'stbundle',
      {
        location: 'westeurope',
        sku: { name: 'Standard_LRS' },
        kind: 'StorageV2',
        allowBlobPublicAccess: true,
        minimumTlsVersion: 'TLS1_0',
      },
      FAST_LRO,
    );
    const calls = identityCalls;
    const report = await run({ kind: 'event', event: emulator.events().at(-1)!.eventGrid });

    expect(report.outcomes.filter((o) => o.status === 'fixed').map((o) => o.rule)).toEqual(
      expect.arrayContaining(['publicStorage', 'insecureTransport', 'storageWithoutLogging']),
    );
    const account = await human.storage.storageAccounts.getProperties(RG, 'stbundle');
    expect(account).toMatchObject({ allowBlobPublicAccess: false, minimumTlsVersion: 'TLS1_2' });
    expect(identityCalls).toBeGreaterThan(calls);
    expect(emulator.calls().some((c) => c.method === 'PATCH' && c.principal.oid === BOT.oid)).toBe(true);
  });

  it('answers a manual remediate of an open NSG rule, and refuses a malformed request without a call', async () => {
    await nsgWith(emulator, 'nsg-bundle', [
      inbound('ssh-any', 200, { sourceAddressPrefix: '*', destinationPortRange: '22' }),
    ]);
    const report = await run({ kind: 'manual', body: { action: 'remediate', resource: armIds.nsg('nsg-bundle') } });
    expect(report.outcomes).toEqual([expect.objectContaining({ rule: 'openIngress', status: 'fixed' })]);
    const nsg = await humanClients(emulator).network.networkSecurityGroups.get(RG, 'nsg-bundle');
    expect(nsg.securityRules ?? []).toEqual([]);

    const before = emulator.calls().length;
    expect(await run({ kind: 'manual', body: { action: 'nuke' } })).toMatchObject({ error: 'MalformedEvent' });
    expect(emulator.calls().length).toBe(before);
  });
});
