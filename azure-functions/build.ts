/**
 * Builds the deployable Functions app into dist/: the entry dist/app.mjs (what `main` names and the Functions
 * host loads) plus the chunks it imports on demand (dist/chunks/), host.json, and a package.json. Deploy the
 * folder as is. Minified and tree-shaken; clients that only some invocations need (@azure/identity on the first
 * token, @azure/data-tables when a state table is configured) are split into chunks loaded on first use.
 * The esbuild metafile goes to .tsbuild/app.meta.json for analysis (https://esbuild.github.io/analyze/).
 *
 * Size (target ≤ 1 MB = 1,000,000 bytes, entry and chunks together; the build fails above it). The plugins below,
 * and core's (core/build/esbuild-plugins.ts), drop code the app links but never runs; nothing is patched on disk.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { coreBundlePlugins, standIn } from '@reflex/core/esbuild-plugins';
import { build, type Plugin } from 'esbuild';

const MAX_BYTES = 1_000_000;

/**
 * `import('<package>')` keeps every export of the package: esbuild cannot tell which ones the caller reads. For the
 * lazily loaded SDKs, the import is pointed at a module that re-exports only the names the importer destructures
 * (`.then(({ A }) =>` or `const { A } = await import(...)`), read from its source at build time. An importer that
 * imports the package more than once, or in another way, keeps the whole package.
 */
const lazyImportsUsedOnly: Plugin = {
  name: 'reflex-lazy-imports-used-only',
  setup(b) {
    b.onResolve({ filter: /^@azure\/(?:identity|data-tables)$/ }, async (args) => {
      if (args.kind !== 'dynamic-import' || /[\\/]node_modules[\\/]/.test(args.importer)) return undefined;
      const text = await readFile(args.importer, 'utf8');
      const load = `import\\('${args.path.replace('/', '\\/')}'\\)`;
      if (text.match(new RegExp(load, 'g'))?.length !== 1) return undefined;
      const m =
        new RegExp(`${load}\\.then\\(\\s*\\(\\{([^{}]*)\\}\\)`).exec(text) ??
        new RegExp(`\\{([^{}]*)\\}\\s*=\\s*await ${load}`).exec(text);
      const names =
        m?.[1]
          ?.split(',')
          .map((n) => n.split(':')[0]!.trim())
          .filter(Boolean) ?? [];
      if (names.length === 0) return undefined;
      // The chunk is named after the last segment: `DefaultAzureCredential-<hash>.mjs`.
      return { path: `${args.path}/${names.join('-')}`, namespace: 'reflex-used', pluginData: dirname(args.importer) };
    });
    b.onLoad({ filter: /.*/, namespace: 'reflex-used' }, (args) => {
      const cut = args.path.lastIndexOf('/');
      const names = args.path.slice(cut + 1).replaceAll('-', ', ');
      return {
        contents: `export { ${names} } from '${args.path.slice(0, cut)}';`,
        resolveDir: args.pluginData as string,
        loader: 'js',
      };
    });
  },
};

/**
 * @azure/data-tables wires an XML parser and builder (fast-xml-parser and its helpers, ~80 KiB) into every client
 * for the table ACL operations; Reflex's entity and table calls are JSON both ways. Should a response ever come as
 * XML, the SDK still throws its RestError with the status code (all the stores read) and the body as text.
 */
const tablesWithoutXml: Plugin = {
  name: 'reflex-tables-without-xml',
  setup(b) {
    b.onResolve({ filter: /^@azure\/core-xml$/ }, (args) =>
      /@azure[\\/]data-tables[\\/]/.test(args.importer) ? { path: 'core-xml', namespace: 'reflex-xml' } : undefined,
    );
    b.onLoad({ filter: /^core-xml$/, namespace: 'reflex-xml' }, () => ({
      contents: standIn(['parseXML', 'stringifyXML'], 'XML (the table ACL operations)'),
      loader: 'js',
    }));
  },
};

/**
 * @azure/identity opens a browser with `open` for InteractiveBrowserCredential; no credential the app uses is
 * interactive, and a Functions host has no browser.
 */
const noBrowserLogin: Plugin = {
  name: 'reflex-no-browser-login',
  setup(b) {
    b.onResolve({ filter: /^open$/ }, (args) =>
      /@azure[\\/]identity[\\/]/.test(args.importer) ? { path: 'open', namespace: 'reflex-open' } : undefined,
    );
    b.onLoad({ filter: /^open$/, namespace: 'reflex-open' }, () => ({
      contents: standIn(['default'], 'interactive browser login'),
      loader: 'js',
    }));
  },
};

/**
 * jsonwebtoken (MSAL's client assertions) loads all of `semver` (~29 KiB) for three Node version checks that are
 * true on every Node the app runs on (≥ 20); each is replaced by its answer. An unknown check is left alone.
 */
const jwtNodeChecks: Plugin = {
  name: 'reflex-jwt-node-checks',
  setup(b) {
    const trueOnNode20 = new Set(['^6.12.0 || >=8.0.0', '>=15.7.0', '>=16.9.0']);
    b.onLoad({ filter: /[\\/]jsonwebtoken[\\/]lib[\\/]\w+Supported\.js$/ }, async (args) => {
      const range = /semver\.satisfies\(process\.version, '([^']+)'\)/.exec(await readFile(args.path, 'utf8'))?.[1];
      return range && trueOnNode20.has(range) ? { contents: 'module.exports = true;', loader: 'js' } : undefined;
    });
  },
};

/** The ARM SDKs import their whole package.json (11 KiB for arm-monitor) for `version` in the user agent. */
const armVersionOnly: Plugin = {
  name: 'reflex-arm-package-version-only',
  setup(b) {
    b.onLoad({ filter: /@azure[\\/]arm-[^\\/]+[\\/](?:dist[\\/]esm[\\/])?package\.json$/ }, async (args) => {
      const { version } = JSON.parse(await readFile(args.path, 'utf8')) as { version: string };
      return { contents: JSON.stringify({ version }), loader: 'json' };
    });
  },
};

/**
 * @azure/functions is one webpack bundle (CommonJS: esbuild cannot tree-shake it) published twice; the package's own
 * minified copy (same version, same exports) comes out 7 KiB smaller than the readable one.
 */
const functionsMinified: Plugin = {
  name: 'reflex-functions-minified',
  setup(b) {
    b.onResolve({ filter: /^@azure\/functions$/ }, async (args) => {
      if (args.pluginData === 'reflex-functions-minified') return undefined;
      const { path, errors } = await b.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        pluginData: 'reflex-functions-minified',
      });
      const min = path.replace(/\.js$/, '.min.js');
      return errors.length === 0 && existsSync(min) ? { path: min } : undefined;
    });
  },
};

const out = new URL('./dist/', import.meta.url);
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

const result = await build({
  entryPoints: { app: new URL('./src/app.ts', import.meta.url).pathname },
  outdir: out.pathname,
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  minify: true,
  treeShaking: true,
  legalComments: 'linked',
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Maps are written but kept out of dist/ (below): the zip deploys dist/ as it is, and 7 MB of maps would ride along.
  sourcemap: 'external',
  metafile: true,
  // Provided by the Functions Node.js worker at run time, not an npm package.
  external: ['@azure/functions-core'],
  plugins: [
    ...coreBundlePlugins,
    lazyImportsUsedOnly,
    tablesWithoutXml,
    noBrowserLogin,
    jwtNodeChecks,
    armVersionOnly,
    functionsMinified,
  ],
  // Some bundled dependencies are CommonJS and call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __reflexCreateRequire } from 'node:module'; const require = __reflexCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

await mkdir(new URL('./.tsbuild/', import.meta.url), { recursive: true });
const maps = new URL('./.tsbuild/sourcemaps/', import.meta.url);
await rm(maps, { recursive: true, force: true });
for (const file of Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.map'))) {
  const to = new URL(relative(out.pathname, resolve(file)), maps);
  await mkdir(new URL('./', to), { recursive: true });
  await rename(resolve(file), to);
}
await writeFile(new URL('./.tsbuild/app.meta.json', import.meta.url), JSON.stringify(result.metafile));
await copyFile(new URL('./host.json', import.meta.url), new URL('host.json', out));
await writeFile(
  new URL('package.json', out),
  `${JSON.stringify({ name: 'reflex-azure-functions', version: '0.1.0', private: true, type: 'module', main: 'app.mjs' }, null, 2)}\n`,
);
const outputs = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.mjs'));
const total = outputs.reduce((sum, [, o]) => sum + o.bytes, 0);
const sizes = outputs.map(([f, o]) => `${f.replace(/^.*dist\//, 'dist/')} ${(o.bytes / 1024).toFixed(0)} KB`);
console.log(`built:\n  ${sizes.join('\n  ')}\n  total ${(total / 1e6).toFixed(3)} MB (entry and chunks)`);
if (total > MAX_BYTES) {
  console.error(`the app is ${total} bytes, over the ${MAX_BYTES} byte budget`);
  process.exitCode = 1;
}
