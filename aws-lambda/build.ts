/**
 * Bundles the Lambda handlers as self-contained ESM: aws-lambda/dist/<handler>.mjs and the chunks they share or load
 * on demand in aws-lambda/dist/chunks/ (the whole folder is the function's code asset).
 *
 * Size (issue 7, target ≤ 1 MB = 1,000,000 bytes each, chunks included). `npx tsx aws-lambda/build.ts --analyze` prints esbuild's analysis. Two things
 * defeat esbuild's tree shaking, and are undone here at load time (nothing is patched on disk):
 * - AWS SDK v3 schemas (`dist-es/schemas/schemas_0.js`): each client's whole API as `export var X$ = [...]`. Many
 *   entries hold object literals with computed keys (`{ [_xN]: "Min" }`); esbuild cannot prove a computed key free of
 *   side effects, so it keeps every such statement and everything it references (EC2: 550 KiB of schemas for the ~20
 *   operations Reflex calls). The keys are module constants (`const _xN = "xmlName"`), so they are inlined as literals.
 * - The same files register every modelled error class of the service at load time (CloudTrail: 87, with their
 *   schemas), which keeps all of them. Those registrations are dropped: an error then arrives as the service's base
 *   exception with `name` = the error code (`TrailNotFoundException`, `NoSuchBucketPolicy`...), `$metadata` and the
 *   message, which is all Reflex reads (`errorCode()`, `isTransient()`; the SDK's retry classifies by code and status
 *   too). What is lost is `instanceof <ModelledError>`, which Reflex never uses.
 * - Each SDK client imports its whole `package.json` (2–4 KiB of JSON each) to read `version` for the user agent;
 *   it is cut down to `{ "version" }` (nothing else of it is read).
 * - What core's dependencies bundle but the bots never run (zod's locales, Octokit's endpoint table...):
 *   the shared plugins in core/build/esbuild-plugins.ts.
 * The SDK stays bundled (the pinned, tested version), not taken from the Lambda runtime. Rarely used clients
 * (DynamoDB, Secrets Manager, STS) and the GitHub ticket sink are loaded with `import()`: each is a chunk of its own,
 * which V8 compiles and runs only when an invocation needs it.
 */
import { readFile, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coreBundlePlugins, nodeEsmBundle } from '@reflex/core/esbuild-plugins';
import { analyzeMetafile, build, type Plugin } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
export const HANDLERS = ['events', 'manual'];

const inlineSchemaKeys: Plugin = {
  name: 'reflex-inline-sdk-schema-keys',
  setup(b) {
    // Clients, and the nested clients (`@aws-sdk/nested-clients/sts`, which the member-account role assumption uses).
    const schemas =
      /@aws-sdk[\\/](?:client-[^\\/]+|nested-clients[\\/]dist-es[\\/]submodules[\\/][^\\/]+)[\\/](?:dist-es[\\/])?schemas[\\/]schemas_\d+\.js$/;
    b.onLoad({ filter: schemas }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const constants = new Map<string, string>();
      for (const m of text.matchAll(/^const (_\w+) = ("(?:[^"\\]|\\.)*");$/gm)) constants.set(m[1]!, m[2]!);
      const contents = text
        .replace(/\[(_\w+)\]:/g, (all, name: string) => {
          const value = constants.get(name);
          return value === undefined ? all : `${value}:`;
        })
        // Modelled errors: see the note above. The service's base exception (`_s_registry`) stays registered.
        .replace(/^n\d+_registry\.registerError\(\w+\$, \w+\);$/gm, '');
      return { contents, loader: 'js' };
    });
  },
};

const sdkVersionOnly: Plugin = {
  name: 'reflex-sdk-package-version-only',
  setup(b) {
    b.onLoad({ filter: /@aws-sdk[\\/][^\\/]+[\\/]package\.json$/ }, async (args) => {
      const { version } = JSON.parse(await readFile(args.path, 'utf8')) as { version: string };
      return { contents: JSON.stringify({ version }), loader: 'json' };
    });
  },
};

/**
 * In Lambda the execution role's credentials are in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN), so the bundles resolve credentials from there only. The SDK's default chain would also bundle
 * profiles, SSO, web identity, process and IMDS providers and the STS/SSO clients they need (~85 KiB) that a function
 * never uses. The CLI and the demo run from source and keep the full chain.
 */
const environmentCredentials: Plugin = {
  name: 'reflex-environment-credentials',
  setup(b) {
    b.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({
      path: 'reflex-environment-credentials',
      namespace: 'reflex',
    }));
    b.onLoad({ filter: /^reflex-environment-credentials$/, namespace: 'reflex' }, () => ({
      contents: [
        "import { fromEnv } from '@aws-sdk/credential-provider-env';",
        'export const defaultProvider = (init = {}) => fromEnv(init);',
      ].join('\n'),
      resolveDir: here,
      loader: 'js',
    }));
  },
};

/**
 * Both handlers in one build with code splitting: dist/<handler>.mjs, and dist/chunks/ for the code they share and
 * for what they load with `import()` (DynamoDB, Secrets Manager, STS, S3 Control, CloudTrail, the ticket systems'
 * clients): V8 compiles a chunk only when it is imported, so a cold start does not pay for code the first event
 * does not run. `bytes` is each entry with every chunk (all of dist/chunks is deployed with it).
 */
export async function buildBundles(opts: { analyze?: boolean } = {}): Promise<{ file: string; bytes: number }[]> {
  const dist = join(here, 'dist');
  // Stale chunks of an earlier build would be deployed (and counted) too.
  await rm(join(dist, 'chunks'), { recursive: true, force: true });
  const result = await build({
    entryPoints: HANDLERS.map((name) => ({ in: join(here, 'src', 'handlers', `${name}.ts`), out: name })),
    outdir: dist,
    ...nodeEsmBundle,
    treeShaking: true,
    metafile: true,
    // The SDK is bundled too: the pinned version we tested, not whatever the runtime ships.
    plugins: [inlineSchemaKeys, sdkVersionOnly, ...coreBundlePlugins, environmentCredentials],
  });
  const outputs = Object.entries(result.metafile.outputs);
  const chunkBytes = outputs.filter(([f]) => f.includes('/chunks/')).reduce((sum, [, o]) => sum + o.bytes, 0);
  if (opts.analyze) {
    const byPackage = new Map<string, number>();
    for (const [, output] of outputs)
      for (const [file, input] of Object.entries(output.inputs)) {
        const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? file.split('/').slice(0, 2).join('/');
        byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + input.bytesInOutput);
      }
    const top = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 15);
    console.log(
      `all outputs by package:\n${top.map(([p, n]) => `  ${(n / 1024).toFixed(0).padStart(5)} KiB  ${p}`).join('\n')}`,
    );
    for (const [file, o] of outputs) console.log(`  ${(o.bytes / 1024).toFixed(0).padStart(5)} KiB  ${file}`);
    if (process.argv.includes('--verbose')) console.log(await analyzeMetafile(result.metafile, { verbose: false }));
  }
  const out: { file: string; bytes: number }[] = [];
  for (const name of HANDLERS) {
    const file = join(dist, `${name}.mjs`);
    out.push({ file, bytes: (await stat(file)).size + chunkBytes });
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const analyze = process.argv.includes('--analyze');
  for (const { file, bytes } of await buildBundles({ analyze }))
    console.log(`${file}  ${(bytes / 1e6).toFixed(3)} MB with its chunks`);
}
