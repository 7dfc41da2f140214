#!/usr/bin/env node
// Build web/dist/ from web/src/ plus the vendored MapLibre GL JS files.
//
// No bundler on purpose: the page is a handful of static files that the Rust
// server serves as-is on an offline intranet. The output is deterministic —
// the same inputs always give byte-identical files (no timestamps, no hashes
// in names), written in a fixed order — so it can be diffed or embedded.
//
// Usage: node build.mjs   (or: npm run build)

import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const webDir = dirname(fileURLToPath(import.meta.url));
const srcDir = join(webDir, 'src');
const distDir = join(webDir, 'dist');
const mlDir = join(webDir, 'node_modules', 'maplibre-gl');

// Our own page files (every file in src/, in name order), copied verbatim.
const SRC_FILES = readdirSync(srcDir).filter((name) => !name.startsWith('.')).sort();

// The pages the server routes to (src/<page>.html with its script and stylesheet): the
// build fails when one is missing. login.html is the only one served without a session.
const PAGES = [
  { html: 'index.html', assets: ['app.js', 'style.css'] }, // /
  { html: 'dashboard.html', assets: ['dashboard.js', 'dashboard.css'] }, // /dashboard
  { html: 'county.html', assets: ['county.js', 'county.css'] }, // /county/{code}
  { html: 'governance.html', assets: ['governance.js', 'governance.css'] }, // /governance
  { html: 'login.html', assets: ['login.js', 'login.css'] }, // /login (public)
  { html: 'api.html', assets: ['api-docs.js'] }, // /api.html
];

// MapLibre GL JS >= 6 ships only ES modules. The main module loads its worker
// from `new URL('./maplibre-gl-worker.mjs', import.meta.url)`, i.e. a
// same-origin module worker next to it — no blob: worker, so it works under a
// strict CSP (`worker-src 'self'`). Both files must therefore sit side by side
// in dist/vendor/. (maplibre-gl-shared.mjs is an empty placeholder; not needed.)
const VENDOR_FILES = [
  { from: 'dist/maplibre-gl.mjs', to: 'maplibre-gl.mjs', stripSourceMap: true },
  { from: 'dist/maplibre-gl-worker.mjs', to: 'maplibre-gl-worker.mjs', stripSourceMap: true },
  { from: 'dist/maplibre-gl.css', to: 'maplibre-gl.css' },
  // BSD-3-Clause requires the licence to travel with redistributed binaries.
  { from: 'LICENSE.txt', to: 'maplibre-gl.LICENSE.txt' },
];

// Swagger UI for the API reference page (/api.html), served offline like MapLibre.
const swDir = join(webDir, 'node_modules', 'swagger-ui-dist');
const SWAGGER_FILES = [
  { from: 'swagger-ui-bundle.js', to: 'swagger-ui/swagger-ui-bundle.js', stripSourceMap: true },
  { from: 'swagger-ui.css', to: 'swagger-ui/swagger-ui.css', stripSourceMap: true },
  // Apache-2.0: the licence and notice travel with the files.
  { from: 'LICENSE', to: 'swagger-ui/LICENSE' },
  { from: 'NOTICE', to: 'swagger-ui/NOTICE' },
];

// ECharts for the dashboard and county pages: the ES-module build, one file.
const ecDir = join(webDir, 'node_modules', 'echarts');
const ECHARTS_FILES = [
  { from: 'dist/echarts.esm.min.mjs', to: 'echarts.esm.min.mjs', stripSourceMap: true },
  // Apache-2.0: the licence and notice travel with the file.
  { from: 'LICENSE', to: 'echarts.LICENSE.txt' },
  { from: 'NOTICE', to: 'echarts.NOTICE.txt' },
];

function fail(msg) {
  console.error(`build: ${msg}`);
  process.exit(1);
}

if (!existsSync(mlDir)) fail('node_modules/maplibre-gl missing — run `npm ci` in web/ first');
const mlVersion = JSON.parse(readFileSync(join(mlDir, 'package.json'), 'utf8')).version;
if (Number.parseInt(mlVersion, 10) < 6) {
  fail(`maplibre-gl ${mlVersion} found; app.js imports the ES-module build of maplibre-gl >= 6`);
}

// Source maps are not shipped (several MB, useless offline). Drop the trailing
// `//# sourceMappingURL=` comment so an opened DevTools does not request a
// missing .map file from the server.
function stripSourceMapComment(buf) {
  const text = buf.toString('utf8').replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n');
  return Buffer.from(text, 'utf8');
}

const written = [];
function write(dest, data) {
  mkdirSync(dirname(dest), { recursive: true });
  writeFileSync(dest, data);
  const sha = createHash('sha256').update(data).digest('hex').slice(0, 12);
  written.push({ path: relative(webDir, dest), bytes: data.length, sha });
}

for (const page of PAGES) {
  for (const name of [page.html, ...page.assets]) if (!SRC_FILES.includes(name)) fail(`missing page file src/${name}`);
}

// The server sends a strict Content-Security-Policy (script-src 'self'): no inline
// <script> block, no inline event handler attribute and no javascript: URL in any page.
for (const name of SRC_FILES.filter((n) => n.endsWith('.html'))) {
  const html = readFileSync(join(srcDir, name), 'utf8').replace(/<!--[\s\S]*?-->/g, '');
  if (/<script\b(?![^>]*\bsrc\s*=)[^>]*>/i.test(html)) fail(`src/${name}: inline <script> (CSP script-src 'self')`);
  const handler = html.match(/<[^>]*\son[a-z]+\s*=/i);
  if (handler) fail(`src/${name}: inline event handler ${handler[0].slice(0, 60)}… (CSP script-src 'self')`);
  if (/\b(?:href|src|action)\s*=\s*["']?\s*javascript:/i.test(html)) fail(`src/${name}: javascript: URL (CSP script-src 'self')`);
}

rmSync(distDir, { recursive: true, force: true });

for (const name of SRC_FILES) {
  const from = join(srcDir, name);
  if (!existsSync(from)) fail(`missing source file src/${name}`);
  write(join(distDir, name), readFileSync(from));
}

for (const f of VENDOR_FILES) {
  const from = join(mlDir, f.from);
  if (!existsSync(from)) fail(`maplibre-gl ${mlVersion}: missing ${f.from}`);
  let data = readFileSync(from);
  if (f.stripSourceMap) data = stripSourceMapComment(data);
  write(join(distDir, 'vendor', f.to), data);
}

if (!existsSync(swDir)) fail('node_modules/swagger-ui-dist missing — run `npm ci` in web/ first');
for (const f of SWAGGER_FILES) {
  const from = join(swDir, f.from);
  if (!existsSync(from)) fail(`swagger-ui-dist: missing ${f.from}`);
  let data = readFileSync(from);
  if (f.stripSourceMap) data = Buffer.from(data.toString('utf8').replace(/\n?\/[/*]# sourceMappingURL=\S+\s*(\*\/)?\s*$/, '\n'), 'utf8');
  write(join(distDir, 'vendor', f.to), data);
}

if (!existsSync(ecDir)) fail('node_modules/echarts missing — run `npm ci` in web/ first');
for (const f of ECHARTS_FILES) {
  const from = join(ecDir, f.from);
  if (!existsSync(from)) fail(`echarts: missing ${f.from}`);
  let data = readFileSync(from);
  if (f.stripSourceMap) data = stripSourceMapComment(data);
  write(join(distDir, 'vendor', f.to), data);
}

// A gzip copy next to every script, stylesheet and page (the server sends it to clients
// that accept gzip). Level 9 and no timestamp in the header: deterministic output.
for (const w of [...written]) {
  if (!/\.(m?js|css|html|svg|json)$/.test(w.path)) continue;
  const full = join(webDir, w.path);
  write(`${full}.gz`, gzipSync(readFileSync(full), { level: 9 }));
}

const width = Math.max(...written.map((w) => w.path.length));
for (const w of written) {
  console.log(`wrote ${w.path.padEnd(width)}  ${String(w.bytes).padStart(8)} B  sha256:${w.sha}`);
}
const total = written.reduce((n, w) => n + w.bytes, 0);
console.log(`build: ${written.length} files, ${total} bytes (maplibre-gl ${mlVersion})`);
