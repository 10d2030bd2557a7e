// Bundles the CLI (dist/src/cli.js, with @oclif/core and every other dependency that is plain
// JavaScript) into dist/bundle/cli.js. Why: Node's ESM loader resolves, reads and links each of
// the ≈ 270 files a start loaded one by one, ≈ 0.1 s of every process on this machine
// (docs/performance.md, start-up); one file loads in a fraction of that. Worker threads keep
// loading dist/src: they start from their own entry files, and their graph is small.
//
// Two things a bundle changes are put back, so each module sees the paths it had:
// - `import.meta.url` in our modules (worker entry files, the native addon, the package root are
//   found from it) becomes that module's own URL in dist/src, computed from the bundle's URL at
//   run time, so the package can be moved or copied (`cas-migrate install`);
// - `__dirname` / `__filename` in CommonJS dependencies (which ESM output does not define) are
//   given the same way.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outfile = `${root}dist/bundle/cli.js`;
const outDir = dirname(outfile);
const rel = (file) => JSON.stringify(relative(outDir, file));

const ownPaths = {
  name: 'own-paths',
  setup(b) {
    b.onLoad({ filter: /\.(c|m)?js$/ }, async (args) => {
      let text = await readFile(args.path, 'utf8');
      const ours = args.path.startsWith(`${root}dist/src/`);
      if (ours && text.includes('import.meta.url')) text = text.replaceAll('import.meta.url', `new URL(${rel(args.path)}, import.meta.url).href`);
      else if (!ours && /\b__(dirname|filename)\b/.test(text)) {
        text = `var __filename = __bundleFile(${rel(args.path)}), __dirname = __bundleDir(__filename);\n${text}`;
      }
      return { contents: text, loader: 'js' };
    });
  },
};

await build({
  entryPoints: [`${root}dist/src/cli.js`],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  // Native code, WebAssembly glue that finds its .wasm beside itself, and what oclif only
  // requires for TypeScript sources in development: loaded from node_modules as before.
  external: ['*.node', '@napi-rs/xattr', 'sql.js', 'typescript', 'ts-node'],
  plugins: [ownPaths],
  // Bundled CommonJS calls require() for Node's built-ins; ESM output has none of its own.
  banner: {
    js: [
      "import { createRequire as __bundleRequire } from 'node:module';",
      "import { dirname as __bundleDir } from 'node:path';",
      "import { fileURLToPath as __bundleToPath } from 'node:url';",
      'const require = __bundleRequire(import.meta.url);',
      'const __bundleFile = (p) => __bundleToPath(new URL(p, import.meta.url));',
    ].join(' '),
  },
});
