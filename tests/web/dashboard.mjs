#!/usr/bin/env node
// Browser test for the leader dashboard (一屏管理) at /dashboard.
//
//   node tests/web/dashboard.mjs http://127.0.0.1:8080
//
// Drives a headless Chromium (env CHROMIUM, default /usr/bin/chromium) through
// playwright-core (installed under web/node_modules by `npm ci --prefix web`)
// against a running shikong server at 1920×1080 and checks that the page
// renders offline on one screen without scrolling, that every key-figure card
// shows the API's total for its kind, that the charts and the map drew
// something, that the language switch, the month selector, the refresh
// (button and timer) and the drill-down to a province work, that it runs
// under a strict Content-Security-Policy, and saves
// a screenshot to target/screenshots/dashboard.png (relative to the repo root).
// Signs in with the access token in env SHIKONG_TOKEN (tests/web/auth.mjs).
//
// Prints one line per check and ends with exactly `N passed, M failed`;
// exits non-zero if any check failed.

import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { apiFetch, login, pageFetch } from './auth.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
// playwright-core lives in web/node_modules, which plain node resolution from
// tests/web/ would not search.
const require = createRequire(join(repoRoot, 'web', 'package.json'));

const VIEWPORT = { width: 1920, height: 1080 };
const READY_TIMEOUT_MS = Number(process.env.SMOKE_TIMEOUT_MS || 90_000);
const SCREENSHOT = join(repoRoot, 'target', 'screenshots', 'dashboard.png');
const MAP_LAYER = 'division-fill';
const MIN_MAP_FEATURES = 20;
// Same-origin only, no inline script or style; workers and images from the
// server (MapLibre's worker module, canvases read back as blob:/data:).
const STRICT_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
].join('; ');

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
  console.error('usage: node tests/web/dashboard.mjs <server-base-url>   e.g. http://127.0.0.1:8080');
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

/** GET JSON from the server under test, straight from Node (the reference numbers). */
async function api(path, params = {}) {
  const url = new URL(`api/v1/${path}`, base);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await apiFetch(url);
  if (!res.ok) throw new Error(`${url.pathname}${url.search}: HTTP ${res.status}`);
  return res.json();
}

// ---------------------------------------------------------------------------
// Minimal PNG decoder (8-bit RGB/RGBA, not interlaced — what Chromium writes),
// so screenshots can be inspected without extra packages.

function decodePng(buf) {
  const SIG = '89504e470d0a1a0a';
  if (buf.subarray(0, 8).toString('hex') !== SIG) throw new Error('not a PNG');
  let pos = 8;
  let width = 0;
  let height = 0;
  let bitDepth = 0;
  let colorType = 0;
  let interlace = 0;
  const idat = [];
  while (pos + 8 <= buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('ascii', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      bitDepth = data[8];
      colorType = data[9];
      interlace = data[12];
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      break;
    }
    pos += 12 + len;
  }
  if (bitDepth !== 8 || interlace !== 0 || (colorType !== 2 && colorType !== 6)) {
    throw new Error(`unsupported PNG (depth ${bitDepth}, colour type ${colorType}, interlace ${interlace})`);
  }
  const bpp = colorType === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = out.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? out.subarray((y - 1) * stride, y * stride) : null;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? cur[i - bpp] : 0;
      const b = prev ? prev[i] : 0;
      const c = prev && i >= bpp ? prev[i - bpp] : 0;
      let v = line[i];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      cur[i] = v & 0xff;
    }
  }
  return { width, height, bpp, data: out };
}

/**
 * How much of an image is not background: the background is the most common
 * colour; a pixel counts when it differs from it clearly. Also counts the
 * distinct colours (quantised), so a uniformly filled canvas reads as blank.
 */
function inkStats(png) {
  const { width, height, bpp, data } = decodePng(png);
  const n = width * height;
  const freq = new Map();
  for (let i = 0; i < n; i++) {
    const o = i * bpp;
    const key = (data[o] << 16) | (data[o + 1] << 8) | data[o + 2];
    freq.set(key, (freq.get(key) ?? 0) + 1);
  }
  let bg = 0;
  let best = -1;
  for (const [k, c] of freq) if (c > best) [bg, best] = [k, c];
  const br = bg >> 16;
  const bgG = (bg >> 8) & 0xff;
  const bb = bg & 0xff;
  let ink = 0;
  const colours = new Set();
  for (let i = 0; i < n; i++) {
    const o = i * bpp;
    const d = Math.abs(data[o] - br) + Math.abs(data[o + 1] - bgG) + Math.abs(data[o + 2] - bb);
    if (d > 30) {
      ink++;
      colours.add(((data[o] >> 4) << 8) | ((data[o + 1] >> 4) << 4) | (data[o + 2] >> 4));
    }
  }
  return { pixels: n, ink, share: n ? ink / n : 0, colours: colours.size };
}

async function inkOf(page, selector) {
  const node = page.locator(selector).first();
  const png = await node.screenshot({ animations: 'disabled' });
  return inkStats(png);
}

function fmtShare(x) {
  return `${(x * 100).toFixed(1)}%`;
}

// ---------------------------------------------------------------------------

async function waitReady(page) {
  return page
    .waitForSelector('body[data-ready="true"], body[data-error="true"]', { timeout: READY_TIMEOUT_MS })
    .then(() => page.evaluate(() => (document.body.dataset.ready === 'true' ? 'ready' : 'error')))
    .catch((e) => `timeout: ${e.message.split('\n')[0]}`);
}

async function errorText(page) {
  return page
    .evaluate(() => {
      const box = document.getElementById('error');
      return box && !box.hidden ? box.innerText.replace(/\s+/g, ' ').trim() : '';
    })
    .catch(() => '');
}

/** The KPI cards as shown: kind, month, number text and its digits. */
async function readKpis(page) {
  return page.$$eval('.kpi', (cards) =>
    cards.map((c) => {
      const text = c.querySelector('.kpi-num')?.textContent.trim() ?? '';
      return { kind: c.dataset.kind, month: c.dataset.month ?? null, text, mom: c.querySelector('.kpi-mom')?.textContent.trim() ?? '' };
    }),
  );
}

function digits(text) {
  const d = text.replace(/[^\d]/g, '');
  return d === '' ? NaN : Number(d);
}

/** Compares every card with the API's total for its kind and month (in a scope). */
async function compareKpis(cards, month, meta, scope = { level: 'province' }) {
  const mismatches = [];
  for (const card of cards) {
    const stats = await api('stats', { ...scope, kind: card.kind, month });
    if (card.month !== month || digits(card.text) !== stats.total) {
      mismatches.push(`${card.kind}: card "${card.text}" (${card.month}) vs API ${stats.total}`);
    }
  }
  const kindsShown = new Set(cards.map((c) => c.kind));
  const missing = meta.kinds.filter((k) => !kindsShown.has(k.id)).map((k) => k.id);
  return { mismatches, missing };
}

/**
 * The values the map draws (from the division tiles) equal the API's figures
 * for the kind, month and measure the page says it shows.
 */
/** The map's values against the API, retried for up to 10 s: the map may draw the new
 *  tiles a few frames after the page reports the view (slower under load); a map that never
 *  shows them still fails. */
async function mapMatchesApi(page) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const result = await mapMatchesApiOnce(page);
    if (result.ok || Date.now() > deadline) return result;
    await page.waitForTimeout(250);
  }
}

async function mapMatchesApiOnce(page) {
  const view = await page.evaluate(() => document.body.dataset.view ?? '');
  const [month, kind, measure] = view.split('|');
  const drawn = await page.evaluate((layer) => {
    const map = window.shikongDashboard?.map;
    if (!map) return null;
    const out = {};
    for (const f of map.queryRenderedFeatures({ layers: [layer] })) out[String(f.properties.code)] = f.properties.value;
    return out;
  }, MAP_LAYER);
  if (!drawn) return { ok: false, detail: 'window.shikongDashboard.map missing' };
  const stats = await api('stats', { level: 'province', kind, month });
  const field = { count: 'count', rate: 'rate_per_10k', change: 'change' }[measure];
  const wrong = [];
  let compared = 0;
  for (const row of stats.rows) {
    const code = String(row.code);
    if (!(code in drawn)) continue;
    const want = row[field];
    const got = drawn[code];
    compared++;
    const same = want === null || want === undefined ? got === undefined || got === null : typeof got === 'number' && Math.abs(got - want) < 1e-6;
    if (!same) wrong.push(`${code} ${got} ≠ ${want}`);
  }
  return {
    ok: compared >= MIN_MAP_FEATURES && wrong.length === 0,
    detail: `${view}: ${compared} provinces compared` + (wrong.length ? `; ${wrong.slice(0, 4).join(', ')}` : ''),
  };
}

async function layoutFits(page) {
  return page.evaluate(() => {
    const de = document.documentElement;
    const w = window.innerWidth;
    const h = window.innerHeight;
    const outside = [];
    for (const node of document.querySelectorAll('.top, .kpi, .panel, .legend')) {
      if (node.hidden) continue;
      const r = node.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.bottom > h + 0.5 || r.right > w + 0.5 || r.top < -0.5 || r.left < -0.5) {
        outside.push(`${node.id || node.className.split(' ').join('.')} ${Math.round(r.right)}×${Math.round(r.bottom)}`);
      }
    }
    return {
      scrollHeight: de.scrollHeight,
      scrollWidth: de.scrollWidth,
      innerHeight: h,
      innerWidth: w,
      outside,
    };
  });
}

function checkFits(name, fit) {
  return check(
    name,
    fit.scrollHeight <= fit.innerHeight && fit.scrollWidth <= fit.innerWidth && fit.outside.length === 0,
    `scroll ${fit.scrollWidth}×${fit.scrollHeight} in ${fit.innerWidth}×${fit.innerHeight}` +
      (fit.outside.length ? `; outside the viewport: ${fit.outside.slice(0, 4).join(', ')}` : ''),
  );
}

async function run() {
  const { chromium } = require('playwright-core');
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

  // Reference data straight from the API.
  let meta;
  try {
    meta = await api('meta');
  } catch (e) {
    check('GET /api/v1/meta', false, e.message);
    return;
  }

  // The page source obeys the strict-CSP rules: no inline script or style.
  try {
    // A page route: signed in with the session cookie (pages redirect to /login without one).
    const res = await pageFetch(new URL('dashboard', base), base, { redirect: 'manual' });
    const html = await res.text();
    const inlineScript = /<script\b(?![^>]*\bsrc=)[^>]*>/i.test(html);
    const inlineStyle = /<style\b|\sstyle\s*=/i.test(html);
    const external = [...html.matchAll(/\b(?:src|href)\s*=\s*"([^"]+)"/gi)].map((m) => m[1]).filter((u) => /^(https?:)?\/\//i.test(u));
    check(
      'GET /dashboard serves the page without inline script/style or outside assets',
      res.ok && /<title>/i.test(html) && !inlineScript && !inlineStyle && external.length === 0,
      `HTTP ${res.status}${inlineScript ? ', inline <script>' : ''}${inlineStyle ? ', inline style' : ''}${external.length ? `, external ${external.join(' ')}` : ''}`,
    );
  } catch (e) {
    check('GET /dashboard serves the page without inline script/style or outside assets', false, e.message);
  }

  let browser;
  try {
    browser = await chromium.launch({ executablePath, headless: true, args: LAUNCH_ARGS });
  } catch (e) {
    check('launch chromium', false, `${executablePath}: ${e.message.split('\n')[0]}`);
    return;
  }

  try {
    const context = await browser.newContext({
      viewport: VIEWPORT,
      locale: 'zh-CN',
      serviceWorkers: 'block',
    });
    await login(context, base);

    const consoleErrors = [];
    const foreign = new Set();

    // Any request to another host is recorded: the page must work on an
    // offline intranet, so it must not even try. (No context.route() here,
    // unlike smoke.mjs: routing turns off the browser's HTTP cache, and the
    // refresh check below needs it to see ETag revalidation.) The
    // context-level listener also sees requests made by dedicated workers.
    context.on('request', (req) => {
      const url = req.url();
      if (isForeign(url)) foreign.add(url);
    });

    const page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));

    // 1. the page and its first full render
    let response = null;
    try {
      response = await page.goto(new URL('dashboard', base).href, { waitUntil: 'domcontentloaded', timeout: 30_000 });
    } catch (e) {
      check('GET /dashboard loads in the browser', false, e.message.split('\n')[0]);
      return;
    }
    check('GET /dashboard loads in the browser', response?.ok() ?? false, `HTTP ${response?.status()}`);

    const outcome = await waitReady(page);
    const ready = check(
      'page ready (body[data-ready="true"])',
      outcome === 'ready',
      outcome === 'ready' ? '' : (await errorText(page)) || outcome,
    );
    if (!ready) return;

    // 2. one screen, no scrolling
    checkFits('fits 1920×1080 without scrolling (zh)', await layoutFits(page));

    // 3. key figures equal the API's totals for the month shown
    const month = await page.evaluate(() => document.body.dataset.month);
    check('month defaults to the last month with data', month === meta.months.last, `${month} (data ${meta.months.first} – ${meta.months.last})`);
    const cards = await readKpis(page);
    {
      const { mismatches, missing } = await compareKpis(cards, month, meta);
      check(
        `every KPI card (${cards.length}) shows the API total of its kind for ${month}`,
        cards.length > 0 && mismatches.length === 0 && missing.length === 0,
        [...mismatches.slice(0, 4), missing.length ? `no card for ${missing.join(', ')}` : '']
          .filter(Boolean)
          .join('; ') || cards.slice(0, 3).map((c) => `${c.kind} ${c.text}`).join(', '),
      );
      const withMom = cards.filter((c) => /[▲▼]|持平|unchanged/.test(c.mom));
      check('KPI cards show the month-over-month change', withMom.length >= Math.ceil(cards.length / 2), `${withMom.length}/${cards.length} with an arrow, e.g. "${withMom[0]?.mom ?? cards[0]?.mom}"`);
    }

    // 4. charts and map drew something (pixels in the screenshots, not just a canvas)
    for (const [name, selector, minShare] of [
      ['trend chart', '#trend-chart', 0.02],
      ['ranking chart', '#rank-chart', 0.04],
    ]) {
      try {
        const hasCanvas = await page.locator(`${selector} canvas`).count();
        const s = await inkOf(page, selector);
        check(
          `${name} canvas is not blank`,
          hasCanvas > 0 && s.share >= minShare && s.colours >= 4,
          `${fmtShare(s.share)} of ${s.pixels} px drawn, ${s.colours} colours`,
        );
      } catch (e) {
        check(`${name} canvas is not blank`, false, e.message.split('\n')[0]);
      }
    }
    const trendSeries = await page.evaluate(() => {
      const opt = window.shikongDashboard?.trendChart?.getOption();
      return (opt?.series ?? []).map((s) => (s.data ?? []).filter((v) => v !== null && v !== undefined).length);
    });
    const monthsWithData = meta.months ? trendSeries[0] : 0;
    check(
      'trend has lines for the main kinds over every month with data',
      trendSeries.length >= 3 && trendSeries.every((n) => n === monthsWithData) && monthsWithData >= 2,
      `${trendSeries.length} lines × ${monthsWithData} months`,
    );

    try {
      // Hide the overlays that float on the map so only the map canvas is measured.
      await page.evaluate(() => {
        for (const id of ['legend', 'map-tip']) {
          const n = document.getElementById(id);
          if (n) n.dataset.wasHidden = String(n.hidden);
          if (n) n.hidden = true;
        }
      });
      const s = await inkOf(page, '#map canvas.maplibregl-canvas');
      await page.evaluate(() => {
        for (const id of ['legend', 'map-tip']) {
          const n = document.getElementById(id);
          if (n) n.hidden = n.dataset.wasHidden === 'true';
        }
      });
      const rendered = await page.evaluate((layer) => {
        const map = window.shikongDashboard?.map;
        if (!map) return { error: 'window.shikongDashboard.map missing' };
        const features = map.queryRenderedFeatures({ layers: [layer] });
        const codes = new Set(features.map((f) => f.properties?.code));
        const valued = features.filter((f) => typeof f.properties?.value === 'number').length;
        return { features: features.length, codes: codes.size, valued };
      }, MAP_LAYER);
      check(
        'map canvas is not blank and shows provinces from the division tiles',
        s.share >= 0.1 && s.colours >= 3 && !rendered.error && rendered.codes >= MIN_MAP_FEATURES && rendered.valued > 0,
        rendered.error ??
          `${fmtShare(s.share)} of ${s.pixels} px drawn, ${s.colours} colours; ${rendered.codes} divisions, ${rendered.valued} features with a value`,
      );
    } catch (e) {
      check('map canvas is not blank and shows provinces from the division tiles', false, e.message.split('\n')[0]);
    }

    {
      const m = await mapMatchesApi(page);
      check('map values equal the API figures for the kind and month shown', m.ok, m.detail);
    }

    // The governance tiles show the API's quality score and reconciliation for the month.
    try {
      await page.waitForFunction((m) => document.body.dataset.governance === m, month, { timeout: 60_000 });
      const [quality, recon] = await Promise.all([api('quality', { month, level: 'province' }), api('reconciliation', { month })]);
      const shown = await page.evaluate(() => ({
        score: document.getElementById('quality-score').textContent.trim(),
        dims: Object.fromEntries([...document.querySelectorAll('#quality-dims dd')].map((d) => [d.dataset.dim, d.textContent.trim()])),
        recon: Object.fromEntries([...document.querySelectorAll('#recon-counts dd')].map((d) => [d.dataset.status, d.textContent.trim()])),
      }));
      const want = Number.isFinite(quality.total.score) ? quality.total.score.toFixed(1) : '—';
      const share = (x) => (Number.isFinite(x) ? `${(Math.floor(x * 1000) / 10).toFixed(1)}%` : '—');
      const dimsOk = Object.entries(shown.dims).every(([k, v]) => v === share(quality.total[k]));
      check(
        `quality tile shows the API score and its five parts for ${month}`,
        shown.score === want && Object.keys(shown.dims).length === 5 && dimsOk,
        `tile ${shown.score} ${JSON.stringify(shown.dims)}, API ${want}`,
      );
      const counts = {};
      for (const row of recon.rows) counts[row.status] = (counts[row.status] ?? 0) + 1;
      const reconOk = Object.entries(shown.recon).every(([k, v]) => v.replace(/,/g, '') === String(counts[k] ?? 0));
      check(
        'reconciliation tile counts equal the API per status',
        Object.keys(shown.recon).length === 5 && reconOk,
        `tile ${JSON.stringify(shown.recon)}, API ${JSON.stringify(counts)}`,
      );
    } catch (e) {
      check('governance tiles show the API figures', false, e.message.split('\n')[0]);
    }

    // 5. screenshot of the first screen (taken even after failures: it helps debugging)
    try {
      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });
      check('screenshot saved', true, relative(process.cwd(), SCREENSHOT) || SCREENSHOT);
    } catch (e) {
      check('screenshot saved', false, e.message.split('\n')[0]);
    }

    // 6. language switch
    try {
      const before = (await page.textContent('#title'))?.trim();
      await page.click('.lang-btn[data-lang="en"]');
      await page.waitForFunction(() => document.documentElement.lang === 'en', null, { timeout: 10_000 });
      const after = (await page.textContent('#title'))?.trim();
      const rankTitle = (await page.textContent('#rank-title'))?.trim();
      const stored = await page.evaluate(() => localStorage.getItem('shikong.lang'));
      check(
        'language switch shows English headings and is remembered (shikong.lang)',
        /[\u4e00-\u9fff]/.test(before ?? '') && /^[\x20-\x7e]+$/.test(after ?? '') && /^[\x20-\x7e]+$/.test(rankTitle ?? '') && stored === 'en',
        `"${before}" → "${after}", ranking "${rankTitle}", stored ${stored}`,
      );
      await page.waitForTimeout(800); // let the charts' label update animations settle
      checkFits('fits 1920×1080 without scrolling (en)', await layoutFits(page));
      await page.click('.lang-btn[data-lang="zh-CN"]');
      await page.waitForFunction(() => document.documentElement.lang === 'zh-CN', null, { timeout: 10_000 });
    } catch (e) {
      check('language switch shows English headings and is remembered (shikong.lang)', false, e.message.split('\n')[0]);
    }

    // 7. another month: the numbers change and still match the API
    try {
      const months = await page.$$eval('#month option', (os) => os.map((o) => o.value));
      // A year back when there is one (clearly different figures), else the previous month.
      const other = months.find((m) => m < month && m.slice(0, 4) === String(Number(month.slice(0, 4)) - 1) && m.slice(5) === month.slice(5))
        ?? months.find((m) => m !== month);
      if (!other) {
        check('month selector changes the KPI numbers', false, `only ${months.length} month(s) offered`);
      } else {
        await page.selectOption('#month', other);
        await page.waitForSelector(`body[data-month="${other}"]:not(.loading)`, { timeout: READY_TIMEOUT_MS });
        const cards2 = await readKpis(page);
        const changed = cards2.filter((c) => c.text !== cards.find((x) => x.kind === c.kind)?.text).length;
        const { mismatches } = await compareKpis(cards2, other, meta);
        check(
          `month selector (${month} → ${other}) changes the KPI numbers to the API's`,
          changed > 0 && mismatches.length === 0,
          `${changed}/${cards2.length} cards changed` + (mismatches.length ? `; ${mismatches.slice(0, 3).join('; ')}` : ''),
        );
        const view = await page.evaluate(() => document.body.dataset.view);
        const m = await mapMatchesApi(page);
        check('ranking and map follow the month', (view ?? '').startsWith(`${other}|`) && m.ok, m.detail);
      }
    } catch (e) {
      check('month selector changes the KPI numbers', false, e.message.split('\n')[0]);
    }

    // 7b. quick succession: a month change and at once a click on another
    //     card; the later request must not drop what the earlier one loads.
    try {
      const kinds = await page.$$eval('.kpi', (cards) => cards.map((c) => c.dataset.kind));
      const kind = kinds[1];
      // Both in the same task, so the second starts while the first loads.
      await page.evaluate(([m, k]) => {
        const select = document.getElementById('month');
        select.value = m;
        select.dispatchEvent(new Event('change', { bubbles: true }));
        document.querySelector(`.kpi[data-kind="${k}"]`).click();
      }, [month, kind]);
      await page.waitForSelector(`body[data-view="${month}|${kind}|count"]:not(.loading)`, { timeout: READY_TIMEOUT_MS });
      const { mismatches } = await compareKpis(await readKpis(page), month, meta);
      const m = await mapMatchesApi(page);
      check(
        'month change then card click at once: cards, ranking and map all follow',
        mismatches.length === 0 && m.ok,
        `${m.detail}` + (mismatches.length ? `; ${mismatches.slice(0, 2).join('; ')}` : ''),
      );
    } catch (e) {
      check('month change then card click at once: cards, ranking and map all follow', false, e.message.split('\n')[0]);
    }

    // 8. refresh: the button refetches everything (the 5-minute timer runs the
    //    same code); answers carry ETags, so unchanged ones may come back 304.
    try {
      const shownMonth = await page.evaluate(() => document.body.dataset.month);
      const before = (await page.textContent('#updated'))?.trim();
      await page.waitForTimeout(1100); // the "updated" time has whole seconds
      // The wire statuses come from the DevTools protocol: Playwright reports a
      // revalidated answer as the cached 200, the network saw a 304.
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      const apiIds = new Set();
      const statuses = new Map();
      let conditional = 0;
      cdp.on('Network.requestWillBeSent', (e) => {
        const u = new URL(e.request.url);
        if (u.host === base.host && u.pathname.startsWith('/api/v1/')) apiIds.add(e.requestId);
      });
      cdp.on('Network.requestWillBeSentExtraInfo', (e) => {
        if (Object.keys(e.headers ?? {}).some((h) => h.toLowerCase() === 'if-none-match')) conditional++;
      });
      cdp.on('Network.responseReceivedExtraInfo', (e) => statuses.set(e.requestId, e.statusCode));
      await page.click('#refresh');
      await page.waitForSelector('body[data-refreshes="1"]:not(.loading)', { timeout: READY_TIMEOUT_MS });
      await cdp.detach().catch(() => {});
      const after = (await page.textContent('#updated'))?.trim();
      const { mismatches } = await compareKpis(await readKpis(page), shownMonth, meta);
      const notModified = [...apiIds].filter((id) => statuses.get(id) === 304).length;
      check(
        'refresh button refetches the data and updates the time shown',
        apiIds.size >= meta.kinds.length && after !== before && mismatches.length === 0,
        `${apiIds.size} API requests, "${before}" → "${after}"` + (mismatches.length ? `; ${mismatches[0]}` : ''),
      );
      check(
        'refetches are conditional (If-None-Match) and unchanged data comes back 304',
        conditional >= meta.kinds.length && notModified >= meta.kinds.length,
        `${conditional} with If-None-Match, ${notModified} × 304 of ${apiIds.size}`,
      );
    } catch (e) {
      check('refresh button refetches the data and updates the time shown', false, e.message.split('\n')[0]);
    }

    // 9. the timer: with ?refresh=10 the page refreshes itself within ~10 s
    try {
      const auto = await context.newPage();
      auto.on('console', (msg) => {
        if (msg.type() === 'error') consoleErrors.push(msg.text());
      });
      auto.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));
      await auto.goto(new URL('dashboard?refresh=10', base).href, { waitUntil: 'domcontentloaded', timeout: 30_000 });
      const started = Date.now();
      await auto.waitForSelector('body[data-ready="true"]', { timeout: READY_TIMEOUT_MS });
      await auto.waitForSelector('body[data-refreshes="1"]:not(.loading)', { timeout: 45_000 });
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      const label = (await auto.textContent('#updated'))?.trim();
      check('auto-refresh timer refreshes the page by itself (?refresh=10)', /10/.test(label ?? ''), `refreshed after ${secs} s, "${label}"`);
      await auto.close();
    } catch (e) {
      check('auto-refresh timer refreshes the page by itself (?refresh=10)', false, e.message.split('\n')[0]);
    }

    // 10. drill-down: a click on the first bar of the ranking opens that
    //     province's dashboard for the same month, whose cards hold the
    //     province's totals.
    try {
      const monthBeforeDrill = await page.evaluate(() => document.body.dataset.month);
      const target = await page.evaluate(() => {
        const chart = window.shikongDashboard.rankChart;
        const first = chart.getOption().series[0].data[0];
        const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, [first.value, 0]);
        return { code: first.code, x: Math.max(4, x - 12), y };
      });
      await Promise.all([
        page.waitForURL((u) => u.searchParams.get('parent') === target.code, { timeout: 15_000 }),
        page.locator('#rank-chart').click({ position: { x: target.x, y: target.y } }),
      ]);
      const outcome2 = await waitReady(page);
      const scoped = await page.evaluate(() => ({
        scope: document.getElementById('scope-name').textContent.trim(),
        rank: document.getElementById('rank-title').textContent.trim(),
        month: document.body.dataset.month,
        up: document.getElementById('scope-up').hidden ? '' : document.getElementById('scope-up').textContent.trim(),
      }));
      const { mismatches } = await compareKpis(await readKpis(page), scoped.month, meta, { level: 'prefecture', parent: target.code });
      const keptMonth = scoped.month === monthBeforeDrill;
      const fit = await layoutFits(page);
      check(
        `ranking click drills down to ${target.code} (cards = its totals, prefectures ranked)`,
        outcome2 === 'ready' && mismatches.length === 0 && keptMonth && /地市/.test(scoped.rank) && scoped.up !== '' &&
          fit.scrollHeight <= fit.innerHeight && fit.scrollWidth <= fit.innerWidth,
        `${scoped.scope} ${scoped.month}${keptMonth ? '' : ` (was ${monthBeforeDrill})`}, "${scoped.rank}", link "${scoped.up}"` + (mismatches.length ? `; ${mismatches.slice(0, 2).join('; ')}` : '') +
          (outcome2 === 'ready' ? '' : `; ${outcome2}`),
      );
    } catch (e) {
      check('ranking click drills down to the province', false, e.message.split('\n')[0]);
    }

    // 11. under a strict Content-Security-Policy (what a government intranet
    //     deployment sends; injected here, in a context of its own because
    //     routing turns off the HTTP cache) the page still renders, with no
    //     violation reported.
    try {
      const strict = await browser.newContext({ viewport: VIEWPORT, locale: 'zh-CN', serviceWorkers: 'block' });
      await login(strict, base);
      await strict.route(
        (url) => url.host === base.host && url.pathname === '/dashboard',
        async (route) => {
          const res = await route.fetch();
          await route.fulfill({ response: res, headers: { ...res.headers(), 'content-security-policy': STRICT_CSP } });
        },
      );
      const p2 = await strict.newPage();
      const violations = [];
      p2.on('console', (msg) => {
        if (msg.type() === 'error' || /Content Security Policy/i.test(msg.text())) violations.push(msg.text().slice(0, 160));
      });
      p2.on('pageerror', (err) => violations.push(`uncaught: ${err.message}`));
      await p2.goto(new URL('dashboard', base).href, { waitUntil: 'domcontentloaded', timeout: 30_000 });
      const outcome3 = await waitReady(p2);
      // Hover a chart and the map so tooltips (a classic source of inline styles) render too.
      for (const sel of ['#trend-chart', '#rank-chart', '#map']) {
        const b = await p2.locator(sel).boundingBox();
        if (b) await p2.mouse.move(b.x + b.width * 0.5, b.y + b.height * 0.45, { steps: 3 });
        await p2.waitForTimeout(300);
      }
      check(
        'renders under a strict CSP (no inline script/style allowed) without violations',
        outcome3 === 'ready' && violations.length === 0,
        outcome3 !== 'ready' ? outcome3 : violations.slice(0, 3).join(' | '),
      );
      await strict.close();
    } catch (e) {
      check('renders under a strict CSP (no inline script/style allowed) without violations', false, e.message.split('\n')[0]);
    }

    // 12. whole-session checks
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
  check('dashboard test ran without internal error', false, e.stack || String(e));
}
finish();
