/**
 * Builds the command-line tools to dist/ (git-ignored) with esbuild, so `npm run plan` and
 * `npm run policy` run plain JavaScript under node instead of compiling TypeScript on every run.
 *
 *   node scripts/build.mjs              build dist/plan.js and dist/policy.js
 *   node scripts/build.mjs --if-stale   build only if a source file changed since the last build
 *
 * Our sources are bundled (one file per tool); packages stay in node_modules and load as usual.
 * `__dirname`/`__filename` keep meaning the source file's folder/file: they are rewritten to
 * paths relative to the bundle, so the checkout can move. A build records every input with its
 * size and mtime in dist/build-inputs.json; `--if-stale` compares them (a few ms) and rebuilds
 * when any differs, is gone, or this script changed. Development keeps using tsx on the sources.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const DIST = path.join(ROOT, "dist");
const RECORD = path.join(DIST, "build-inputs.json");
const ENTRIES = { plan: "infra/plan/cli.ts", policy: "policies/cli.ts" };
const SELF = path.relative(ROOT, fileURLToPath(import.meta.url));

/** Size and mtime of each input file, relative to the repository root. */
function snapshot(files) {
  const out = {};
  for (const f of files) {
    const st = fs.statSync(path.join(ROOT, f));
    out[f] = `${st.size}:${st.mtimeMs}`;
  }
  return out;
}

function isFresh() {
  let recorded;
  try {
    recorded = JSON.parse(fs.readFileSync(RECORD, "utf8"));
  } catch {
    return false;
  }
  for (const name of Object.keys(ENTRIES)) if (!fs.existsSync(path.join(DIST, `${name}.js`))) return false;
  try {
    const now = snapshot(Object.keys(recorded.inputs));
    return Object.entries(recorded.inputs).every(([f, v]) => now[f] === v);
  } catch {
    return false; // an input was removed or renamed
  }
}

/** esbuild plugin: `__dirname`/`__filename` of a source file, as seen from the bundle in dist/. */
const sourcePaths = {
  name: "source-paths",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      let contents = await fs.promises.readFile(args.path, "utf8");
      const rel = (p) => JSON.stringify(path.relative(DIST, p).split(path.sep).join("/"));
      contents = contents
        .replace(/\b__dirname\b/g, `require("node:path").join(__dirname, ${rel(path.dirname(args.path))})`)
        .replace(/\b__filename\b/g, `require("node:path").join(__dirname, ${rel(args.path)})`);
      return { contents, loader: "ts" };
    });
  },
};

async function build() {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(Object.entries(ENTRIES)),
    outdir: DIST,
    bundle: true,
    packages: "external",
    platform: "node",
    format: "cjs",
    target: "node20",
    // Keep `require.main === module`, class and function names (error messages, --help) as in the sources.
    keepNames: true,
    metafile: true,
    write: false,
    logLevel: "warning",
    plugins: [sourcePaths],
  });
  // Atomic writes: a concurrent run never loads a half-written bundle.
  fs.mkdirSync(DIST, { recursive: true });
  for (const file of result.outputFiles) {
    fs.writeFileSync(`${file.path}.${process.pid}.tmp`, file.contents);
    fs.renameSync(`${file.path}.${process.pid}.tmp`, file.path);
  }
  const inputs = [...new Set([...Object.keys(result.metafile.inputs), SELF, "tsconfig.json"])].sort();
  fs.writeFileSync(`${RECORD}.${process.pid}.tmp`, `${JSON.stringify({ inputs: snapshot(inputs) }, null, 2)}\n`);
  fs.renameSync(`${RECORD}.${process.pid}.tmp`, RECORD);
}

if (!(process.argv.includes("--if-stale") && isFresh())) await build();
