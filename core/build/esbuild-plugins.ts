/**
 * esbuild plugins for the deployable bundles (aws-lambda/build.ts, azure-functions/build.ts): each keeps out code
 * that core's dependencies would bundle but the bots never run. Nothing is patched on disk. Both builds apply
 * `coreBundlePlugins`.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BuildOptions, Plugin } from 'esbuild';

const sinks = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'tickets', 'sinks');

/**
 * zod's classic `z` bundles every locale (`z.locales`, ~50 languages); core only uses the English default messages,
 * so the locales index is replaced with one that exports `en`.
 */
export const englishOnlyZod: Plugin = {
  name: 'reflex-zod-english-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
      loader: 'js',
    }));
  },
};

/** zod's `fromJSONSchema` (JSON Schema → zod) is part of the `z` namespace core imports; nothing calls it. */
export const noZodFromJsonSchema: Plugin = {
  name: 'reflex-zod-no-from-json-schema',
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]classic[\\/]from-json-schema\.js$/ }, () => ({
      contents:
        "export function fromJSONSchema() { throw new Error('zod fromJSONSchema is not in the Reflex bundle'); }",
      loader: 'js',
    }));
  },
};

/**
 * Octokit's REST plugin carries a table of every GitHub endpoint (~80 KiB); the GitHub ticket sink calls a few of
 * `octokit.rest.issues.*`. The table is cut down to the scopes (`issues`, ...) that core's ticket sinks name, read
 * from their source at build time, so a sink that starts using another scope keeps working.
 */
export const octokitScopesInUse: Plugin = {
  name: 'reflex-octokit-scopes-in-use',
  setup(b) {
    b.onLoad(
      { filter: /@octokit[\\/]plugin-rest-endpoint-methods[\\/]dist-src[\\/]generated[\\/]endpoints\.js$/ },
      async (args) => {
        const scopes = new Set<string>();
        for (const file of await readdir(sinks))
          if (file.endsWith('.ts'))
            for (const m of (await readFile(join(sinks, file), 'utf8')).matchAll(/\brest\.(\w+)\./g)) scopes.add(m[1]!);
        const all = (await import(pathToFileURL(args.path).href)) as { default: Record<string, unknown> };
        const kept = Object.fromEntries(Object.entries(all.default).filter(([scope]) => scopes.has(scope)));
        return { contents: `export default ${JSON.stringify(kept)};`, loader: 'js' };
      },
    );
  },
};

/**
 * Core re-exports its GitHub sink (for the CLI and tests); the ticket config loads it with `import()` when a policy
 * configures GitHub. The bots never use the re-export, but it would put the sink (and Octokit) in the code every cold
 * start compiles and runs, so in the bundles the re-export points at a stand-in and the real sink stays in its own
 * chunk.
 */
export const githubSinkOnDemand: Plugin = {
  name: 'reflex-github-sink-on-demand',
  setup(b) {
    b.onResolve({ filter: /^\.\/sinks\/github\.js$/ }, (args) => {
      if (!/[\\/]core[\\/]src[\\/]tickets[\\/]index\.ts$/.test(args.importer)) return undefined;
      return { path: 'github-sink-re-export', namespace: 'reflex' };
    });
    b.onLoad({ filter: /^github-sink-re-export$/, namespace: 'reflex' }, () => ({
      contents: [
        "const notHere = () => { throw new Error('in the Reflex bundles the GitHub sink is built by createTicketSinks only'); };",
        'export { notHere as GitHubTicketSink, notHere as githubBody, notHere as githubMarker };',
      ].join('\n'),
      loader: 'js',
    }));
  },
};

/**
 * zod → JSON Schema (`schema.toJSONSchema()`, ~18 KiB): only the CLI's policy.schema.json uses it, and the CLI runs
 * from source. Every schema keeps a reference to it, so its modules are replaced by stand-ins with the same exports.
 */
export const noZodToJsonSchema: Plugin = {
  name: 'reflex-zod-no-to-json-schema',
  setup(b) {
    b.onLoad(
      { filter: /[\\/]zod[\\/]v4[\\/]core[\\/](?:to-json-schema|json-schema-processors|json-schema-generator)\.js$/ },
      async (args) => ({
        contents: standIn(Object.keys(await import(pathToFileURL(args.path).href)), 'zod toJSONSchema'),
        loader: 'js',
      }),
    );
  },
};

/**
 * yaml's Node entry is CommonJS, which esbuild bundles whole (~115 KiB). Its ESM build (same version, under
 * yaml/browser/) is tree-shaken to what `parseDocument` needs (-17 KiB). The two differ only where Reflex never goes:
 * a warning (collection keys in `toJS`) goes to console.warn, not process.emitWarning; `!!binary` decodes with
 * atob; no LOG_TOKENS / LOG_STREAM tracing.
 */
export const yamlEsm: Plugin = {
  name: 'reflex-yaml-esm',
  setup(b) {
    b.onResolve({ filter: /^yaml$/ }, async (args) => {
      if (args.pluginData === 'reflex-yaml-esm') return undefined;
      const { path, errors } = await b.resolve('yaml', {
        kind: args.kind,
        resolveDir: args.resolveDir,
        pluginData: 'reflex-yaml-esm',
      });
      const esm = join(path, '..', '..', 'browser', 'dist', 'index.js');
      return errors.length === 0 && existsSync(esm) ? { path: esm } : undefined;
    });
  },
};

/** A module whose exports (`names`) all throw when called: for code a bundle must link but never runs. */
export function standIn(names: string[], what: string): string {
  const lines = names.map((name) =>
    name === 'default' ? 'export default notHere;' : `export const ${name} = notHere;`,
  );
  return [`function notHere() { throw new Error('${what} is not in the Reflex bundle'); }`, ...lines].join('\n');
}

/** The plugins both bundles apply. */
export const coreBundlePlugins: Plugin[] = [
  englishOnlyZod,
  noZodFromJsonSchema,
  noZodToJsonSchema,
  yamlEsm,
  octokitScopesInUse,
  githubSinkOnDemand,
];

/**
 * What every Node bundle of ours shares (the Lambda handlers, the CLI): ESM for Node 20+, code split into
 * `chunks/` so what a run does not import is never compiled, minified, and a `require` for the CommonJS
 * dependencies that call it.
 */
export const nodeEsmBundle = {
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  mainFields: ['module', 'main'],
  banner: {
    js: "import { createRequire as __reflexCreateRequire } from 'node:module'; const require = __reflexCreateRequire(import.meta.url);",
  },
  legalComments: 'none',
  logLevel: 'warning',
} satisfies BuildOptions;
