#!/usr/bin/env node
// Browser test for the county coverage page (/county/{code}).
//
//   node tests/web/county.mjs http://127.0.0.1:8080 [code]
//
// Drives a headless Chromium (env CHROMIUM, default /usr/bin/chromium) through
// playwright-core (installed under web/node_modules by `npm ci --prefix web`)
// against a running shikong server. Checks that the page renders offline, that
// its figure cards, suggested sites and 只报一次 table equal what the API
// answers, that the map draws coverage cells / deserts / facilities from the
// server's own tiles and GeoJSON, that the CSV/XLSX downloads are real files,
// that changing the radius redraws the figures, and that unknown or
// non-county codes show an error in the page. Saves a full-page screenshot to
// target/screenshots/county.png (relative to the repo root). Signs in with the
// access token in env SHIKONG_TOKEN (tests/web/auth.mjs).
//
// Prints one line per check and ends with exactly `N passed, M failed`;
// exits non-zero if any check failed.

import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiFetch, login } from './auth.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
// playwright-core lives in web/node_modules, which plain node resolution from
// tests/web/ would not search.
const require = createRequire(join(repoRoot, 'web', 'package.json'));

// 河源市东源县: in both the 60k- and the 200k-record synthetic data it has people of the
// person kinds, facilities in reach, a radius coverage that changes with the radius, five
// suggested sites with a positive gain and service deserts. (杭州市西湖区, 330106, has
// demand too, but no facility within 10 km of anyone: its coverage is 0 at any radius, so
// the radius check could not see a change there.)
const DEFAULT_CODE = '441625';
// Opened with an explicit query (the page keeps its query in the URL): all person kinds
// that the synthetic data spreads over counties, and min_demand=1 so that the sparse test
// data has service deserts to draw. Override with env COUNTY_QUERY.
const QUERY = process.env.COUNTY_QUERY ??
  'kinds=dibao,tekun,low_income,disability_living,disability_care&facility_kind=elderly_care&radius_km=10&k=5&min_demand=1';
const INVALID_CODE = '999999';
const READY_TIMEOUT_MS = Number(process.env.COUNTY_TIMEOUT_MS || 120_000);
const SCREENSHOT = join(repoRoot, 'target', 'screenshots', 'county.png');
const CARD_FIELDS = [
  'demand',
  'facilities',
  'capacity',
  'radius_coverage',
  'capacity_coverage',
  'accessibility_mean',
  'no_access_share',
];

// The page must work under a strict Content-Security-Policy (no inline script or style,
// everything from the server itself). If the server does not send one with the page, the
// test adds this one, and counts violations.
const STRICT_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; worker-src 'self' blob:; " +
  "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'";

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
const code = process.argv[3] || DEFAULT_CODE;
if (!baseArg) {
  console.error('usage: node tests/web/county.mjs <server-base-url> [code]   e.g. http://127.0.0.1:8080 330106');
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

/** GET JSON from the API directly (not through the page), for comparison. */
async function api(path, params = {}) {
  const url = new URL(`api/v1/${path}`, base);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await apiFetch(url);
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`${url.pathname}${url.search}: HTTP ${res.status} ${JSON.stringify(body?.error ?? body)}`);
  return body;
}

function monthEnd(ym) {
  const [y, m] = ym.split('-').map(Number);
  const d = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return `${ym}-${String(d).padStart(2, '0')}`;
}

/** The query the page shows, from its URL (the page keeps it there). */
function pageQuery(pageUrl) {
  const p = new URL(pageUrl).searchParams;
  return {
    kinds: p.get('kinds'),
    facility_kind: p.get('facility_kind'),
    radius_km: p.get('radius_km'),
    month: p.get('month'),
    k: p.get('k'),
    min_demand: p.get('min_demand'),
  };
}

function coverageParams(q) {
  return { kinds: q.kinds, facility_kind: q.facility_kind, radius_km: q.radius_km, date: monthEnd(q.month) };
}

/** Number shown in a card: digits, separators and a decimal point only. */
function shownNumber(text) {
  const m = /-?[\d,]+(\.\d+)?/.exec(text ?? '');
  return m ? Number(m[0].replace(/,/g, '')) : NaN;
}

/** Does the text a card shows agree with the API's value at the precision shown? */
function cardAgrees(field, text, value) {
  const n = shownNumber(text);
  const decimals = /\.(\d+)/.exec(text ?? '')?.[1].length ?? 0;
  const half = 0.5 * 10 ** -decimals + 1e-9;
  switch (field) {
    case 'demand':
    case 'facilities':
    case 'capacity':
      return n === Math.round(value);
    case 'accessibility_mean': // places per person
      return Math.abs(n - value) <= half;
    default: // shares, shown as percentages
      return /%/.test(text) && Math.abs(n - value * 100) <= half;
  }
}

async function readCards(page) {
  return page.$$eval('#cards .card', (cards) =>
    cards.map((c) => ({
      field: c.dataset.field,
      value: c.dataset.value,
      text: c.querySelector('.v')?.textContent.trim(),
    })),
  );
}

function compareCards(cards, summary) {
  const bad = [];
  for (const field of CARD_FIELDS) {
    const card = cards.find((c) => c.field === field);
    const want = summary[field];
    if (!card) bad.push(`${field}: no card`);
    else if (Number(card.value) !== want) bad.push(`${field}: data-value ${card.value} ≠ API ${want}`);
    else if (!cardAgrees(field, card.text, want)) bad.push(`${field}: shows "${card.text}" for API ${want}`);
  }
  return bad;
}

/** Share of non-background pixels and distinct colours in a PNG, decoded in a blank page. */
async function pixelStats(context, png) {
  const scratch = await context.newPage();
  try {
    return await scratch.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0);
      const { data } = g.getImageData(0, 0, c.width, c.height);
      const counts = new Map();
      for (let i = 0; i < data.length; i += 4 * 7) {
        const key = (data[i] >> 3) * 1024 + (data[i + 1] >> 3) * 32 + (data[i + 2] >> 3);
        counts.set(key, (counts.get(key) || 0) + 1);
      }
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      const top = Math.max(...counts.values());
      return { width: c.width, height: c.height, colors: counts.size, nonDominant: 1 - top / total };
    }, png.toString('base64'));
  } finally {
    await scratch.close();
  }
}

async function waitOutcome(page) {
  return page
    .waitForSelector('body[data-ready="true"], body[data-error="true"]', { timeout: READY_TIMEOUT_MS })
    .then(() => page.evaluate(() => (document.body.dataset.error === 'true' ? 'error' : 'ready')))
    .catch((e) => `timeout: ${e.message.split('\n')[0]}`);
}

async function errorBox(page) {
  return page
    .evaluate(() => {
      const box = document.getElementById('error');
      return box && !box.hidden ? box.innerText.replace(/\s+/g, ' ').trim() : '';
    })
    .catch(() => '');
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
      acceptDownloads: true,
    });
    try {
      await login(context, base);
    } catch (e) {
      check('sign in with SHIKONG_TOKEN', false, e.message.split('\n')[0]);
      return;
    }

    const foreign = new Set();
    await context.route('**/*', async (route) => {
      const req = route.request();
      const url = req.url();
      if (isForeign(url)) {
        foreign.add(url);
        return route.abort('blockedbyclient');
      }
      if (req.resourceType() === 'document' && new URL(url).pathname.startsWith('/county/')) {
        const res = await route.fetch();
        const headers = res.headers();
        if (!headers['content-security-policy']) headers['content-security-policy'] = STRICT_CSP;
        return route.fulfill({ response: res, headers });
      }
      return route.continue();
    });
    // Collect CSP violations in every page.
    await context.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__cspViolations.push(`${e.violatedDirective} ${e.sourceFile}:${e.lineNumber}`);
      });
    });
    context.on('request', (req) => {
      if (isForeign(req.url())) foreign.add(req.url());
    });
    const failedRequests = [];
    context.on('requestfailed', (req) => {
      const why = req.failure()?.errorText ?? '';
      // Superseded requests (a newer query aborts the old ones) are not failures.
      if (!/ERR_ABORTED|cancel/i.test(why)) failedRequests.push(`${req.url()} (${why})`);
    });
    const badResponses = [];
    context.on('response', (res) => {
      const u = new URL(res.url());
      if (u.host === base.host && res.status() >= 400) badResponses.push(`${res.status()} ${u.pathname}${u.search}`);
    });

    const page = await context.newPage();
    const consoleErrors = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));

    // 1. the page
    const pageUrl = new URL(`county/${code}${QUERY ? `?${QUERY}` : ''}`, base).href;
    let response = null;
    try {
      response = await page.goto(pageUrl, { waitUntil: 'domcontentloaded', timeout: 30_000 });
    } catch (e) {
      check(`GET /county/${code} loads`, false, e.message.split('\n')[0]);
      return;
    }
    check(`GET /county/${code} loads`, response?.ok() ?? false, `HTTP ${response?.status()}`);

    // 2. first full render
    const started = Date.now();
    const outcome = await waitOutcome(page);
    const ready = check(
      'page ready (body[data-ready="true"])',
      outcome === 'ready',
      outcome === 'ready' ? `${Date.now() - started} ms` : (await errorBox(page)) || outcome,
    );

    if (ready) {
      const q = pageQuery(page.url());
      const cov = coverageParams(q);

      // 3. header: name and lineage from /divisions/{code}, link back to the map
      const division = await api(`divisions/${code}`);
      const header = await page.evaluate(() => ({
        name: document.getElementById('county-name')?.textContent.trim(),
        lineage: [...document.querySelectorAll('#lineage a, #lineage [aria-current]')].map((n) => n.textContent.trim()),
        back: document.getElementById('back-link')?.getAttribute('href'),
      }));
      const wantLineage = (division.lineage ?? []).filter(Boolean).map((d) => d.name);
      check(
        'header shows the county name, its lineage and a link back to the map',
        header.name === division.name &&
          JSON.stringify(header.lineage) === JSON.stringify(wantLineage) &&
          header.back === `/?code=${code}`,
        `"${header.name}" · ${header.lineage.join(' › ')} · back ${header.back}`,
      );

      // 4. figure cards equal the API's summary
      const coverage = await api(`coverage/${code}`, cov);
      check(
        `county ${code} has demand for ${q.kinds}`,
        coverage.summary.demand > 0,
        `demand ${coverage.summary.demand}, facilities ${coverage.summary.facilities}`,
      );
      const cards = await readCards(page);
      const cardErrors = compareCards(cards, coverage.summary);
      check(
        'figure cards equal /coverage summary',
        cardErrors.length === 0,
        cardErrors.join('; ') || cards.map((c) => `${c.field}=${c.text}`).join(' '),
      );

      // 5. map: canvas not blank, features rendered
      const mapShot = await page.locator('#map').screenshot();
      const px = await pixelStats(context, mapShot);
      check(
        'map canvas is not blank',
        px.colors >= 8 && px.nonDominant > 0.05,
        `${px.width}×${px.height}, ${px.colors} colour bins, ${(px.nonDominant * 100).toFixed(1)}% not the dominant colour`,
      );
      const rendered = await page.evaluate((countyCode) => {
        const map = window.shikongCountyMap;
        const L = window.shikongCounty?.layers;
        if (!map || !L) return { error: 'window.shikongCountyMap / shikongCounty missing' };
        const count = (id) => (map.getLayer(id) ? map.queryRenderedFeatures({ layers: [id] }).length : -1);
        const cells = map.getLayer(L.coverage) ? map.queryRenderedFeatures({ layers: [L.coverage] }) : [];
        return {
          zoom: map.getZoom(),
          coverage: cells.length,
          foreignCells: cells.filter((f) => String(f.properties.county) !== countyCode).length,
          desertCells: cells.filter((f) => f.properties.desert === true).length,
          dots: count(L.cellDots),
          deserts: count(L.desertFill),
          facilities: count(L.facilityPoint) + Math.max(0, count(L.facilityCluster)),
          boundary: count(L.boundaryLine),
          markers: document.querySelectorAll('.site-marker').length,
          tileError: document.body.dataset.tileError || '',
          status: document.getElementById('map-status')?.hidden ? '' : document.getElementById('map-status')?.textContent,
        };
      }, String(code));
      if (rendered.error) {
        check('map has rendered features', false, rendered.error);
      } else {
        const cellsDrawn = rendered.zoom >= 8 ? rendered.coverage > 0 : rendered.dots > 0;
        check(
          'map renders coverage cells, boundary and facilities',
          cellsDrawn && rendered.boundary > 0 && rendered.foreignCells === 0 &&
            (coverage.summary.facilities === 0 || rendered.facilities > 0),
          `z${rendered.zoom.toFixed(2)}: ${rendered.coverage} coverage-tile cells (${rendered.desertCells} flagged desert, ${rendered.foreignCells} of other counties), ` +
            `${rendered.dots} cell dots, ${rendered.facilities} facility features, boundary ${rendered.boundary}`,
        );
        const deserts = await api(`coverage/${code}/deserts`, { ...cov, min_demand: q.min_demand });
        const listed = await page.$$eval('#deserts li', (lis) => lis.length);
        check(
          'service-desert hexagons drawn and listed (as /deserts returns)',
          deserts.features.length === 0
            ? rendered.deserts === 0 && listed === 0
            : rendered.deserts > 0 && listed === Math.min(5, deserts.features.length),
          `${deserts.features.length} desert cells from the API (min_demand ${q.min_demand}), ` +
            `${rendered.deserts} rendered desert features, ${listed} listed`,
        );
        check(
          'vector tiles (coverage, facility) load without error',
          !rendered.tileError,
          rendered.tileError ? `${rendered.tileError}: ${rendered.status}` : '',
        );
      }

      // 6. suggested sites: k of them, listed with their gains, as numbered markers
      const plan = (await api(`coverage/${code}/suggest`, { ...cov, k: q.k })).plan;
      const sites = await page.$$eval('#sites li.site', (lis) =>
        lis.map((li) => ({ n: li.dataset.site, gain: li.dataset.gain, text: li.textContent.trim() })),
      );
      const markerNumbers = await page.$$eval('.site-marker', (ms) => ms.map((m) => m.textContent.trim()));
      const gainsMatch = sites.length === plan.chosen.length && plan.chosen.every((s, i) => Number(sites[i].gain) === s.gain);
      check(
        `suggested sites listed (k = ${q.k}) with their gains and numbered markers`,
        plan.chosen.length === Number(q.k) && gainsMatch && sites.every((s) => Number(s.gain) > 0) &&
          markerNumbers.join(',') === sites.map((s) => s.n).join(',') &&
          sites.every((s, i) => s.n === String(i + 1)),
        `${sites.length} listed, ${markerNumbers.length} markers, API chose ${plan.chosen.length}; gains ${plan.chosen.map((s) => s.gain).join(', ')}`,
      );
      const ba = await page.evaluate(() => ({
        before: document.getElementById('ba-before')?.dataset.value,
        after: document.getElementById('ba-after')?.dataset.value,
        text: `${document.getElementById('ba-before')?.textContent} → ${document.getElementById('ba-after')?.textContent}`,
      }));
      check(
        'before/after coverage equals /suggest',
        Number(ba.before) === plan.share_before && Number(ba.after) === plan.share_after,
        `${ba.text} (API ${plan.share_before} → ${plan.share_after})`,
      );

      // 7. 只报一次 table: this county's row equals the API; downloads are real files
      const table = await api('reports/county-table', { parent: code, month: q.month });
      const shownRow = await page.$$eval(`#report-body tr[data-code="${code}"] td`, (tds) => tds.map((td) => td.textContent.trim()));
      const apiRow = table.rows.find((r) => String(r.code) === String(code));
      const rowOk =
        apiRow &&
        shownRow[0] === String(code) &&
        shownRow[1] === apiRow.name &&
        apiRow.counts.every((n, i) => shownNumber(shownRow[4 + i]) === n);
      check(
        '只报一次 table shows the county row from /reports/county-table',
        Boolean(rowOk),
        apiRow ? `${shownRow.slice(0, 2).join(' ')} · ${shownRow.slice(4).join(' ')}` : `no row for ${code} in the API answer`,
      );

      const download = async (selector) => {
        const href = await page.getAttribute(selector, 'href');
        const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click(selector)]);
        const path = await dl.path();
        return { href, name: dl.suggestedFilename(), bytes: readFileSync(path) };
      };
      try {
        const csv = await download('#dl-csv');
        const lines = csv.bytes.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/);
        const header = `code,name,prefecture,province,${table.kinds.join(',')}`;
        check(
          'CSV download: header line, then the county row',
          lines[0] === header && lines[1]?.startsWith(`${code},`) && /format=csv/.test(csv.href),
          `${csv.name} (${csv.bytes.length} B) from ${csv.href}: "${lines[0]}" / "${lines[1]}"`,
        );
      } catch (e) {
        check('CSV download: header line, then the county row', false, e.message.split('\n')[0]);
      }
      try {
        const xlsx = await download('#dl-xlsx');
        check(
          'XLSX download starts with the ZIP magic PK',
          xlsx.bytes.subarray(0, 2).toString('latin1') === 'PK' && /format=xlsx/.test(xlsx.href),
          `${xlsx.name} (${xlsx.bytes.length} B) from ${xlsx.href}`,
        );
      } catch (e) {
        check('XLSX download starts with the ZIP magic PK', false, e.message.split('\n')[0]);
      }

      // 8. screenshot of the first render (taken before the radius change)
      try {
        mkdirSync(dirname(SCREENSHOT), { recursive: true });
        await page.screenshot({ path: SCREENSHOT, fullPage: true });
        check('screenshot saved', true, relative(process.cwd(), SCREENSHOT) || SCREENSHOT);
      } catch (e) {
        check('screenshot saved', false, e.message.split('\n')[0]);
      }

      // 9. changing the radius refetches and redraws the coverage figures
      const newRadius = Number(q.radius_km) === 2 ? '5' : '2';
      const before = cards.find((c) => c.field === 'radius_coverage');
      const requested = page
        .waitForRequest((req) => {
          const u = new URL(req.url());
          return u.pathname === `/api/v1/coverage/${code}` && u.searchParams.get('radius_km') === newRadius;
        }, { timeout: 15_000 })
        .then(() => true)
        .catch(() => false);
      await page.fill('#radius', newRadius);
      await page.press('#radius', 'Tab'); // leaving the field fires `change`
      const madeRequest = await requested;
      const drawn = await page
        .waitForFunction(
          (r) => (document.body.dataset.view ?? '').split('|')[2] === r,
          newRadius,
          { timeout: READY_TIMEOUT_MS },
        )
        .then(() => true)
        .catch(() => false);
      const q2 = pageQuery(page.url());
      const coverage2 = await api(`coverage/${code}`, coverageParams({ ...q, radius_km: newRadius }));
      const cards2 = await readCards(page);
      const after = cards2.find((c) => c.field === 'radius_coverage');
      const cardErrors2 = compareCards(cards2, coverage2.summary);
      check(
        `radius ${q.radius_km} → ${newRadius} km refetches and changes the coverage figure`,
        madeRequest && drawn && q2.radius_km === newRadius && cardErrors2.length === 0 && after.value !== before.value,
        `request ${madeRequest ? 'made' : 'missing'}, view ${drawn ? 'updated' : 'not updated'}, ` +
          `radius coverage "${before.text}" → "${after.text}" (API ${coverage2.summary.radius_coverage})` +
          (cardErrors2.length ? `; ${cardErrors2.join('; ')}` : ''),
      );
      const tilesFollow = await page.evaluate(() => {
        const src = window.shikongCountyMap.getSource('coverage');
        return src?.tiles?.[0] ?? '';
      });
      check(
        'coverage tiles follow the new radius',
        new URL(tilesFollow.replace(/[{}]/g, '')).searchParams.get('radius_km') === newRadius,
        tilesFollow,
      );

      // 10. the trend chart and its tooltip (drawn on the canvas, not as HTML)
      const trend = await page.locator('#trend canvas').count();
      await page.locator('#trend').hover();
      await page.waitForTimeout(200);
      const csp = await page.evaluate(() => window.__cspViolations ?? []);
      check(
        'trend chart drawn; no CSP violation under a strict policy',
        trend > 0 && csp.length === 0,
        `${trend} chart canvas; ${csp.length} violations ${[...new Set(csp)].slice(0, 3).join(' | ')}`,
      );

      // 11. English switch (shared localStorage key with the map page)
      await page.click('.lang-btn[data-lang="en"]');
      const en = await page.evaluate(() => ({
        lang: document.documentElement.lang,
        label: document.querySelector('[data-field="demand"] .card-label')?.textContent,
        stored: localStorage.getItem('shikong.lang'),
      }));
      check('English switch relabels the page', en.lang === 'en' && en.label === 'Demand' && en.stored === 'en', JSON.stringify(en));
      await page.click('.lang-btn[data-lang="zh-CN"]');
    }

    check(
      'no console errors',
      consoleErrors.length === 0,
      consoleErrors.slice(0, 5).join(' | ') + (consoleErrors.length > 5 ? ` (+${consoleErrors.length - 5} more)` : ''),
    );
    check(
      'no failed or 4xx/5xx requests',
      failedRequests.length === 0 && badResponses.length === 0,
      [...failedRequests, ...badResponses].slice(0, 5).join(' | '),
    );

    // 12. unknown code and a non-county code: a clear message, nothing uncaught
    for (const [bad, what, pattern] of [
      [INVALID_CODE, 'unknown code', /999999/],
      ['330100', 'prefecture (not a county)', /县级|county/i],
    ]) {
      const errPage = await context.newPage();
      const uncaught = [];
      errPage.on('pageerror', (err) => uncaught.push(err.message));
      try {
        await errPage.goto(new URL(`county/${bad}`, base).href, { waitUntil: 'domcontentloaded', timeout: 30_000 });
        const result = await waitOutcome(errPage);
        const message = await errorBox(errPage);
        const mapHidden = await errPage.evaluate(() => document.getElementById('content')?.offsetParent === null);
        check(
          `/county/${bad} (${what}) shows an error message, no uncaught error`,
          result === 'error' && pattern.test(message) && uncaught.length === 0 && mapHidden,
          `${result}: "${message}"${uncaught.length ? ` · uncaught: ${uncaught.join(' | ')}` : ''}`,
        );
      } catch (e) {
        check(`/county/${bad} (${what}) shows an error message`, false, e.message.split('\n')[0]);
      } finally {
        await errPage.close();
      }
    }

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
  check('county test ran without internal error', false, e.stack || String(e));
}
finish();
