#!/usr/bin/env node
// Browser test of the data-governance page (/governance).
//
//   node tests/web/governance.mjs http://127.0.0.1:8080
//
// In a headless Chromium (env CHROMIUM, default /usr/bin/chromium) via playwright-core: the
// page loads offline (no console error, no request to another host); its tables equal the
// API (ledger, quality per province, comparison totals); a file chosen in the upload form is
// sent as multipart and lands as a batch shown in the ledger; a file with a bad row is
// rejected with its problem list and nothing lands. Screenshot: target/screenshots/governance.png.
// Signs in with the access token in env SHIKONG_TOKEN (tests/web/auth.mjs).
// Prints one line per check and ends with `N passed, M failed`.

import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiFetch, login } from './auth.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const require = createRequire(join(repoRoot, 'web', 'package.json'));
const SHOT = join(repoRoot, 'target', 'screenshots', 'governance.png');
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

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

const base = new URL(process.argv[2].endsWith('/') ? process.argv[2] : `${process.argv[2]}/`);
async function api(path, params = {}) {
  const url = new URL(`api/v1/${path}`, base);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await apiFetch(url);
  if (!res.ok) throw new Error(`${url.pathname}: HTTP ${res.status}`);
  return res.json();
}

// Valid 18-digit ID numbers (GB 11643 check digit) for the upload.
function idNumber(region, birth, seq) {
  const W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const body = `${region}${birth}${String(seq).padStart(3, '0')}`;
  const sum = [...body].reduce((s, c, i) => s + Number(c) * W[i], 0);
  return body + '10X98765432'[sum % 11];
}
const HEADER = 'division_code,lon,lat,valid_from,valid_to,id_number,area,household_size,monthly_amount';
const goodRows = [0, 1, 2].map((i) => `330106,120.13,30.26,2025-01-01,,${idNumber('330106', '19310101', 900 + i)},urban,1,800`);
const badId = idNumber('330106', '19310101', 950).replace(/.$/, (c) => (c === '0' ? '1' : '0'));

async function main() {
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: LAUNCH_ARGS });
  try {
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, locale: 'zh-CN', serviceWorkers: 'block' });
    await login(context, base);
    const foreign = new Set();
    context.on('request', (req) => {
      const u = new URL(req.url());
      if (['http:', 'https:'].includes(u.protocol) && u.host !== base.host) foreign.add(req.url());
    });
    const page = await context.newPage();
    const errors = [];
    page.on('console', (m) => m.type() === 'error' && !/status of 422/.test(m.text()) && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));

    const res = await page.goto(new URL('governance', base).href, { waitUntil: 'domcontentloaded' });
    check('GET /governance serves the page', res?.status() === 200, `HTTP ${res?.status()}`);
    await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 120_000 });
    const month = await page.evaluate(() => document.body.dataset.month);
    const meta = await api('meta');
    check('opens on the last month with data', month === meta.months.last, month);

    const [batches, quality, overlap] = await Promise.all([
      api('batches', { limit: 50 }),
      api('quality', { month, level: 'province' }),
      api('compare', { check: 'overlap', kind: 'dibao', other: 'tekun', month, limit: 1 }),
    ]);
    const shown = await page.evaluate(() => ({
      batches: [...document.querySelectorAll('#batches tbody tr')].map((r) => Number(r.dataset.batch)),
      quality: [...document.querySelectorAll('#quality tbody tr')].map((r) => [Number(r.dataset.code), r.cells[1].textContent]),
      total: document.getElementById('quality-total').textContent,
      overlap: document.querySelector('#compare li .n')?.textContent,
    }));
    check('ledger rows are the API ledger', JSON.stringify(shown.batches) === JSON.stringify(batches.batches.map((b) => b.batch_id)), `${shown.batches.length} rows`);
    const wantQuality = quality.divisions.map((d) => [d.code, Number.isFinite(d.score) ? d.score.toFixed(1) : '—']);
    check('quality table equals the API per province', JSON.stringify(shown.quality) === JSON.stringify(wantQuality), `${shown.quality.length} provinces, total ${shown.total}`);
    check('quality total equals the API', shown.total === quality.total.score.toFixed(1), shown.total);
    check('comparison total equals the API', shown.overlap?.replace(/,/g, '') === String(overlap.total), `${shown.overlap} vs ${overlap.total}`);

    // Upload through the form (multipart).
    const before = (await api('batches', { limit: 1 })).batches[0]?.batch_id ?? 0;
    await page.selectOption('#up-kind', 'dibao');
    await page.selectOption('#up-province', '330000');
    await page.fill('#up-month', month);
    await page.setInputFiles('#up-file', { name: '低保-西湖.csv', mimeType: 'text/csv', buffer: Buffer.from([HEADER, ...goodRows].join('\n') + '\n') });
    // Check only (预检) first: shown as passed, nothing lands.
    const recordsBefore = (await api('meta')).records;
    await page.click('#up-check');
    await page.waitForFunction((b) => Number(document.getElementById('upload-result').dataset.batch) > b, before, { timeout: 60_000 });
    const pre = await page.evaluate(() => ({
      status: document.querySelector('#upload-result .status')?.dataset.status,
      cls: document.querySelector('#upload-result .status')?.className,
      batch: Number(document.getElementById('upload-result').dataset.batch),
    }));
    check('a check-only upload passes and stores nothing', pre.status === 'checked' && pre.cls.includes('ok') && (await api('meta')).records === recordsBefore,
      `${pre.status} ${pre.cls}, batch ${pre.batch}`);
    await page.click('#up-submit');
    await page.waitForFunction((b) => Number(document.getElementById('upload-result').dataset.batch) > b, pre.batch, { timeout: 60_000 });
    const ok = await page.evaluate(() => ({
      status: document.querySelector('#upload-result .status')?.dataset.status,
      batch: Number(document.getElementById('upload-result').dataset.batch),
    }));
    const ledger = (await api('batches', { limit: 1 })).batches[0];
    check('a form upload lands as a committed batch', ok.status === 'committed' && ledger.batch_id === ok.batch && ledger.rows_accepted === 3 && ledger.file_name === '低保-西湖.csv',
      `${ok.status}, batch ${ok.batch}, ledger ${ledger.status} ${ledger.rows_accepted} rows, ${ledger.file_name}`);
    await page.waitForFunction((b) => document.querySelector(`#batches tbody tr[data-batch="${b}"]`), ok.batch, { timeout: 30_000 }).catch(() => null);
    check('the ledger table shows the new batch', await page.evaluate((b) => !!document.querySelector(`#batches tbody tr[data-batch="${b}"]`), ok.batch));

    // A file with one bad check digit: rejected, problem list shown, nothing lands.
    const records = (await api('meta')).records;
    await page.setInputFiles('#up-file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from([HEADER, `330106,120.13,30.26,2025-01-01,,${idNumber('330106', '19310101', 960)},urban,1,800`, `330106,120.13,30.26,2025-01-01,,${badId},urban,1,800`].join('\n') + '\n') });
    await page.click('#up-submit');
    await page.waitForFunction((b) => Number(document.getElementById('upload-result').dataset.batch) > b, ok.batch, { timeout: 60_000 });
    const bad = await page.evaluate(() => ({
      status: document.querySelector('#upload-result .status')?.dataset.status,
      text: document.getElementById('upload-result').innerText,
      links: [...document.querySelectorAll('#upload-result a')].map((a) => a.href),
    }));
    const after = (await api('meta')).records;
    check('a file with a bad row is rejected, shown with its reason, nothing lands',
      bad.status === 'rejected' && bad.text.includes('ID_CHECK_DIGIT') && bad.links.some((h) => h.includes('format=xlsx')) && after === records,
      `${bad.status}; records ${records} → ${after}`);

    check('no console errors', errors.length === 0, errors.slice(0, 3).join(' | '));
    check('no request to another host', foreign.size === 0, [...foreign].slice(0, 3).join(' '));
    mkdirSync(dirname(SHOT), { recursive: true });
    await page.screenshot({ path: SHOT, fullPage: true });
  } finally {
    await browser.close();
  }
}

main().catch((e) => check('governance page', false, String(e.message).split('\n')[0])).finally(finish);
