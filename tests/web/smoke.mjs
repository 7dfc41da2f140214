#!/usr/bin/env node
// Browser smoke test for the shikong web page.
//
//   node tests/web/smoke.mjs http://127.0.0.1:8080
//
// Drives a headless Chromium (env CHROMIUM, default /usr/bin/chromium) through
// playwright-core (installed under web/node_modules by `npm ci --prefix web`)
// against a running shikong server, checks that the first page renders the
// province choropleth offline, switches the recipient kind, and saves a
// screenshot to target/screenshots/map.png (relative to the repo root).
//
// Prints one line per check and ends with exactly `N passed, M failed`;
// exits non-zero if any check failed.

import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
// playwright-core lives in web/node_modules, which plain node resolution from
// tests/web/ would not search.
const require = createRequire(join(repoRoot, 'web', 'package.json'));

const CHOROPLETH_LAYER = 'province-fill';
const MIN_FEATURES = 20;
const READY_TIMEOUT_MS = Number(process.env.SMOKE_TIMEOUT_MS || 60_000);
const SCREENSHOT = join(repoRoot, 'target', 'screenshots', 'map.png');

const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let passed = 0;
let failed = 0;

function check(name, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok    ' : 'FAIL  '} ${name}${detail ? ` — ${detail}` : ''}`);
  return ok;
}

function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || passed === 0 ? 1 : 0);
}

const baseArg = process.argv[2];
if (!baseArg) {
  console.error('usage: node tests/web/smoke.mjs <server-base-url>   e.g. http://127.0.0.1:8080');
  check('server base URL given', false);
  finish();
}

let base;
try {
  base = new URL(baseArg.endsWith('/') ? baseArg : `${baseArg}/`);
  if (!/^https?:$/.test(base.protocol)) throw new Error(`unsupported protocol ${base.protocol}`);
} catch (e) {
  check('server base URL valid', false, `${baseArg}: ${e.message}`);
  finish();
}

/** Network URLs only: data:/blob:/about: never leave the browser. */
function isForeign(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol)) return false;
  return u.host !== base.host;
}

async function run() {
  const { chromium } = require('playwright-core');
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

  let browser;
  try {
    browser = await chromium.launch({ executablePath, headless: true, args: LAUNCH_ARGS });
  } catch (e) {
    check('launch chromium', false, `${executablePath}: ${e.message.split('\n')[0]}`);
    return;
  }

  try {
    const context = await browser.newContext({
      viewport: { width: 1920, height: 1080 },
      locale: 'zh-CN',
      serviceWorkers: 'block',
    });

    const consoleErrors = [];
    const foreign = new Set();

    // Any request to another host is recorded and aborted: the page must work
    // on an offline intranet, so it must not even try.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (isForeign(url)) {
        foreign.add(url);
        return route.abort('blockedbyclient');
      }
      return route.continue();
    });
    // Context-level listener also sees requests made by dedicated workers.
    context.on('request', (req) => {
      const url = req.url();
      if (isForeign(url)) foreign.add(url);
    });

    const page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));

    // 1. the page itself
    let response = null;
    try {
      response = await page.goto(base.href, { waitUntil: 'domcontentloaded', timeout: 30_000 });
    } catch (e) {
      check('GET / loads', false, e.message.split('\n')[0]);
      return;
    }
    check('GET / loads', response?.ok() ?? false, `HTTP ${response?.status()}`);

    // 2. first choropleth render (or an error shown in the panel)
    const outcome = await page
      .waitForSelector('body[data-ready="1"], body[data-error="1"]', { timeout: READY_TIMEOUT_MS })
      .then(() => page.evaluate(() => (document.body.dataset.ready === '1' ? 'ready' : 'error')))
      .catch((e) => `timeout: ${e.message.split('\n')[0]}`);
    let panelError = '';
    if (outcome !== 'ready') {
      panelError = await page
        .evaluate(() => {
          const box = document.getElementById('error');
          return box && !box.hidden ? box.innerText.replace(/\s+/g, ' ').trim() : '';
        })
        .catch(() => '');
    }
    const ready = check(
      'page ready (body[data-ready="1"])',
      outcome === 'ready',
      outcome === 'ready' ? '' : panelError || outcome,
    );

    // 3. province features actually rendered in the choropleth layer
    if (ready) {
      const rendered = await page.evaluate((layer) => {
        const map = window.shikongMap;
        if (!map) return { error: 'window.shikongMap missing' };
        const features = map.queryRenderedFeatures({ layers: [layer] });
        const codes = new Set(features.map((f) => f.properties?.code));
        const colored = features.filter((f) => typeof f.state?.value === 'number').length;
        return { features: features.length, codes: codes.size, colored };
      }, CHOROPLETH_LAYER);
      check(
        `choropleth renders > ${MIN_FEATURES} province features`,
        !rendered.error && rendered.features > MIN_FEATURES,
        rendered.error ?? `${rendered.features} features, ${rendered.codes} distinct codes, ${rendered.colored} with a value`,
      );

      const panel = await page.evaluate(() => ({
        total: document.getElementById('total')?.textContent.trim(),
        rows: document.querySelectorAll('#top10 tr[data-code]').length,
        legend: document.querySelectorAll('#legend:not([hidden]) #legend-items li').length,
      }));
      check(
        'panel shows total, top-10 table and legend',
        /\d/.test(panel.total ?? '') && panel.rows > 0 && panel.rows <= 10 && panel.legend >= 2,
        `total "${panel.total}", ${panel.rows} rows, ${panel.legend} legend items`,
      );

      // 4. switch the kind selector to another kind
      const kinds = await page.$$eval('#kind-list input[name="kind"]', (inputs) =>
        inputs.map((i) => ({ id: i.value, checked: i.checked })),
      );
      const next = kinds.find((k) => !k.checked);
      if (!next) {
        check('kind switch', false, `need at least 2 kinds from /api/v1/meta, got ${kinds.length}`);
      } else {
        const before = await page.textContent('#total');
        const month = await page.inputValue('#month');
        const requested = page
          .waitForRequest(
            (req) => {
              const u = new URL(req.url());
              return u.pathname.endsWith('/api/v1/stats') && u.searchParams.get('kind') === next.id;
            },
            { timeout: 15_000 },
          )
          .then(() => true)
          .catch(() => false);
        await page.click(`#kind-list label[data-kind="${next.id}"]`);
        const madeRequest = await requested;
        const drawn = await page
          .waitForSelector(`body[data-view="${next.id}|${month}"]`, { timeout: READY_TIMEOUT_MS })
          .then(() => true)
          .catch(() => false);
        const after = await page.textContent('#total');
        check(
          `kind switch to "${next.id}" requests and draws new stats`,
          drawn && (madeRequest || after !== before),
          `request ${madeRequest ? 'made' : 'missing'}, view ${drawn ? 'updated' : 'not updated'}, total "${before}" → "${after}"`,
        );
      }
    }

    // 5. screenshot (taken even after failures: it helps debugging)
    try {
      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });
      check('screenshot saved', true, relative(process.cwd(), SCREENSHOT) || SCREENSHOT);
    } catch (e) {
      check('screenshot saved', false, e.message.split('\n')[0]);
    }

    // 6. the API reference page renders the server's own OpenAPI document offline
    try {
      await page.goto(new URL('api.html', base).href, { waitUntil: 'domcontentloaded', timeout: 30_000 });
      await page.waitForSelector('body[data-ready="1"]', { timeout: READY_TIMEOUT_MS });
      const title = await page.textContent('.swagger-ui .info .title');
      const operations = await page.$$eval('.opblock', (els) => els.length);
      check('API reference page renders the OpenAPI document', /shikong/.test(title || '') && operations >= 10,
        `title "${(title || '').trim()}", ${operations} operations`);
    } catch (e) {
      check('API reference page renders the OpenAPI document', false, e.message.split('\n')[0]);
    }

    // 7./8. whole-session checks
    check(
      'no console errors',
      consoleErrors.length === 0,
      consoleErrors.slice(0, 5).join(' | ') + (consoleErrors.length > 5 ? ` (+${consoleErrors.length - 5} more)` : ''),
    );
    const foreignList = [...foreign];
    check(
      `no requests to hosts other than ${base.host}`,
      foreignList.length === 0,
      foreignList.slice(0, 5).join(', ') + (foreignList.length > 5 ? ` (+${foreignList.length - 5} more)` : ''),
    );
  } finally {
    await browser.close().catch(() => {});
  }
}

try {
  await run();
} catch (e) {
  check('smoke test ran without internal error', false, e.stack || String(e));
}
finish();
