// shikong web — first page: province choropleth of civil-affairs service
// recipients with a side panel (kind, month, national total, top 10).
//
// Runs fully offline: the map style has no tile source, no glyphs and no
// sprite — just a background layer and GeoJSON from our own API — so nothing
// is ever requested from another host. Names are shown in HTML (popup, panel),
// never as map text, which is what lets us drop glyphs.
//
// Test hooks (used by tests/web/smoke.mjs):
//   window.shikongMap            the maplibre Map
//   body[data-ready="1"]         set once, after the first choropleth render
//   body[data-view="kind|month"] the kind/month currently drawn (after render)
//   body[data-error="1"]         an error is shown in the panel

import { Map as MapLibreMap, NavigationControl, Popup, getVersion } from './vendor/maplibre-gl.mjs';

// Resolve the API against the page URL rather than "/" so the app also works
// behind a reverse proxy that mounts it under a sub-path.
const API_BASE = new URL('api/v1/', document.baseURI);
const LEVEL = 'province';

const SOURCE = 'provinces';
const LAYER_FILL = 'province-fill'; // the choropleth layer (queried by tests)
const LAYER_LINE = 'province-line';
const LAYER_HOVER = 'province-hover';

// ColorBrewer YlGnBu, 5 classes: sequential, colour-blind safe, prints well.
const PALETTE = ['#ffffcc', '#a1dab4', '#41b6c4', '#2c7fb8', '#253494'];
const CLASS_COUNT = PALETTE.length;
const NO_DATA_COLOR = '#d3d9e0';
const BACKGROUND_COLOR = '#eef2f6';

// Initial view before boundaries arrive: mainland China + South China Sea.
const CHINA_BOUNDS = [[73, 17], [135.5, 54]];

const MONTH_RE = /^\d{4}-(0[1-9]|1[0-2])$/;
const LANG_KEY = 'shikong.lang';

// ---------------------------------------------------------------------------
// UI strings. zh-CN is the default and the reference; en mirrors its keys.

const EN_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const STRINGS = {
  'zh-CN': {
    title: '时空 shikong — 民政服务对象时空分析',
    subtitle: '民政服务对象时空分析',
    mapLabel: '省级分布地图',
    panelLabel: '控制面板',
    kind: '服务对象类别',
    month: '统计月份',
    prevMonth: '上一月',
    nextMonth: '下一月',
    monthRange: '可选范围：{first} 至 {last}',
    monthOutOfRange: '请选择 {first} 至 {last} 之间的月份',
    total: '全国合计',
    loading: '加载中…',
    top10: '省级排名（前 10）',
    rank: '排名',
    region: '省份',
    share: '占比',
    noRows: '本月无数据',
    legendTitle: '{count} · 五分位分级',
    noData: '无数据',
    code: '代码',
    colon: '：',
    errorTitle: '加载失败',
    networkError: '无法连接服务器（{message}）',
    httpError: '服务器返回 HTTP {status}',
    badResponse: '服务器返回的数据格式无效',
    engine: '地图引擎 MapLibre GL JS {version} · 离线运行，不加载外部底图',
    zoomIn: '放大',
    zoomOut: '缩小',
    formatMonth: (y, m) => `${y}年${m}月`,
    units: {
      person: { count: '人数', suffix: '人' },
      household: { count: '户数', suffix: '户' },
      facility: { count: '机构数', suffix: '家' },
      organization: { count: '组织数', suffix: '个' },
      event: { count: '登记数', suffix: '对' },
    },
    unitFallback: { count: '数量', suffix: '' },
    numberLocale: 'zh-CN',
  },
  en: {
    title: 'shikong 时空 — Spatio-temporal analysis of civil-affairs service recipients',
    subtitle: 'Civil-affairs service recipients',
    mapLabel: 'Province map',
    panelLabel: 'Control panel',
    kind: 'Recipient category',
    month: 'Month',
    prevMonth: 'Previous month',
    nextMonth: 'Next month',
    monthRange: 'Available: {first} to {last}',
    monthOutOfRange: 'Choose a month between {first} and {last}',
    total: 'National total',
    loading: 'Loading…',
    top10: 'Top 10 provinces',
    rank: '#',
    region: 'Province',
    share: 'Share',
    noRows: 'No data for this month',
    legendTitle: '{count} · quintiles',
    noData: 'No data',
    code: 'Code',
    colon: ': ',
    errorTitle: 'Failed to load',
    networkError: 'Cannot reach the server ({message})',
    httpError: 'Server returned HTTP {status}',
    badResponse: 'The server returned malformed data',
    engine: 'Map engine MapLibre GL JS {version} · offline, no external base map',
    zoomIn: 'Zoom in',
    zoomOut: 'Zoom out',
    formatMonth: (y, m) => `${EN_MONTHS[m - 1]} ${y}`,
    units: {
      person: { count: 'Persons', suffix: 'persons' },
      household: { count: 'Households', suffix: 'households' },
      facility: { count: 'Facilities', suffix: 'facilities' },
      organization: { count: 'Organizations', suffix: 'organizations' },
      event: { count: 'Registrations', suffix: 'registrations' },
    },
    unitFallback: { count: 'Count', suffix: '' },
    numberLocale: 'en-US',
  },
};

// ---------------------------------------------------------------------------
// State

const state = {
  lang: initialLang(),
  meta: null, // GET /meta body
  kind: null, // selected kind id
  month: null, // selected "YYYY-MM"
  codes: [], // province codes present in the boundaries
  stats: null, // last successful GET /stats body for (kind, month)
  byCode: new Map(), // code -> stats row
  classes: [], // current legend classes
  error: null, // ApiError currently shown, re-rendered on language switch
};

const $ = (id) => document.getElementById(id);
const el = {
  kindList: $('kind-list'),
  month: $('month'),
  monthPrev: $('month-prev'),
  monthNext: $('month-next'),
  monthHint: $('month-hint'),
  total: $('total'),
  totalUnit: $('total-unit'),
  totalCaption: $('total-caption'),
  countHead: $('count-head'),
  top10: $('top10'),
  legend: $('legend'),
  legendTitle: $('legend-title'),
  legendItems: $('legend-items'),
  error: $('error'),
  errorMessage: $('error-message'),
  errorDetail: $('error-detail'),
  engineNote: $('engine-note'),
};

function initialLang() {
  try {
    const saved = localStorage.getItem(LANG_KEY);
    if (saved && saved in STRINGS) return saved;
  } catch {
    // storage may be disabled by policy; fall through to the default
  }
  return 'zh-CN';
}

function S() {
  return STRINGS[state.lang];
}

/** Translate `key`, filling `{name}` placeholders from `vars`. */
function t(key, vars = {}) {
  const s = S()[key] ?? STRINGS['zh-CN'][key] ?? key;
  return String(s).replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}

function fmtNumber(n) {
  return new Intl.NumberFormat(S().numberLocale).format(n);
}

function fmtShare(x) {
  return new Intl.NumberFormat(S().numberLocale, {
    style: 'percent',
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  }).format(x);
}

function fmtMonth(ym) {
  if (!MONTH_RE.test(ym ?? '')) return ym ?? '';
  const [y, m] = ym.split('-').map(Number);
  return S().formatMonth(y, m);
}

function currentKind() {
  return state.meta?.kinds.find((k) => k.id === state.kind) ?? null;
}

function kindName(kind) {
  if (!kind) return '';
  return state.lang === 'en' ? kind.name_en || kind.name_zh : kind.name_zh || kind.name_en;
}

function unitStrings() {
  const unit = currentKind()?.unit;
  return S().units[unit] ?? { ...S().unitFallback, suffix: unit ?? '' };
}

// ---------------------------------------------------------------------------
// API access

class ApiError extends Error {
  /**
   * @param {object} o
   * @param {string} o.url       request URL (path + query) for the detail line
   * @param {number} [o.status]  HTTP status, absent for network failures
   * @param {string} [o.code]    server error code from {"error":{"code"}}
   * @param {string} [o.serverMessage] server message from {"error":{"message"}}
   * @param {string} [o.param]   offending parameter from {"error":{"param"}}
   * @param {string} [o.network] browser's network error text
   * @param {boolean} [o.malformed] 2xx but the body was not the expected JSON
   */
  constructor(o) {
    super(o.serverMessage || o.network || `HTTP ${o.status}`);
    this.name = 'ApiError';
    Object.assign(this, o);
  }
}

/** GET a JSON document from the shikong API; throws ApiError on any failure. */
async function getJSON(path, params = {}, signal) {
  const url = new URL(path, API_BASE);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const shown = url.pathname + url.search;

  let res;
  try {
    res = await fetch(url, { headers: { Accept: 'application/json' }, signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError({ url: shown, network: e.message });
  }

  let body = null;
  try {
    body = await res.json();
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    // Not JSON (e.g. a proxy's HTML error page); handled below.
  }

  if (!res.ok) {
    const err = body && typeof body === 'object' ? body.error : null;
    throw new ApiError({
      url: shown,
      status: res.status,
      code: err?.code,
      serverMessage: err?.message,
      param: err?.param,
    });
  }
  if (body === null || typeof body !== 'object') {
    throw new ApiError({ url: shown, status: res.status, malformed: true });
  }
  return body;
}

function malformed(url) {
  return new ApiError({ url, status: 200, malformed: true });
}

// ---------------------------------------------------------------------------
// Map

const map = new MapLibreMap({
  container: 'map',
  style: {
    version: 8,
    name: 'shikong-offline',
    // No glyphs/sprite: the style must not make the browser fetch anything.
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': BACKGROUND_COLOR } }],
  },
  bounds: CHINA_BOUNDS,
  fitBoundsOptions: { padding: mapPadding() },
  // The default attribution control links to maplibre.org; the engine is
  // credited in the panel footer instead, without an external link.
  attributionControl: false,
  dragRotate: false,
  pitchWithRotate: false,
  touchPitch: false,
  renderWorldCopies: false,
  locale: {
    'NavigationControl.ZoomIn': STRINGS['zh-CN'].zoomIn,
    'NavigationControl.ZoomOut': STRINGS['zh-CN'].zoomOut,
  },
});
map.touchZoomRotate.disableRotation();
map.addControl(new NavigationControl({ showCompass: false }), 'top-right');
window.shikongMap = map;

const mapLoaded = new Promise((resolve) => map.once('load', resolve));

const popup = new Popup({
  closeButton: false,
  closeOnClick: false,
  offset: 14,
  maxWidth: '280px',
});

let hoverCode = null;

/** Padding that keeps fitted content clear of the floating panel. */
function mapPadding() {
  const pad = { top: 40, right: 60, bottom: 40, left: 40 };
  const panel = document.getElementById('panel');
  if (!panel) return pad;
  const r = panel.getBoundingClientRect();
  if (r.width === 0) return pad;
  if (r.right < window.innerWidth / 2) pad.left = Math.round(r.right) + 32; // side panel
  else pad.top = Math.round(r.bottom) + 24; // narrow screens: panel is a top sheet
  return pad;
}

function boundsOf(fc) {
  let w = Infinity;
  let s = Infinity;
  let e = -Infinity;
  let n = -Infinity;
  const visit = (c) => {
    if (typeof c[0] === 'number') {
      if (c[0] < w) w = c[0];
      if (c[0] > e) e = c[0];
      if (c[1] < s) s = c[1];
      if (c[1] > n) n = c[1];
    } else {
      for (const x of c) visit(x);
    }
  };
  for (const f of fc.features) if (f.geometry?.coordinates) visit(f.geometry.coordinates);
  return Number.isFinite(w) ? [[w, s], [e, n]] : null;
}

function addProvinceLayers(fc) {
  // promoteId makes the 6-digit `code` the feature id, so stats join by
  // feature-state without rebuilding (and re-tiling) the GeoJSON per month.
  map.addSource(SOURCE, { type: 'geojson', data: fc, promoteId: 'code' });
  map.addLayer({
    id: LAYER_FILL,
    type: 'fill',
    source: SOURCE,
    paint: { 'fill-color': NO_DATA_COLOR, 'fill-opacity': 0.95 },
  });
  map.addLayer({
    id: LAYER_LINE,
    type: 'line',
    source: SOURCE,
    paint: { 'line-color': '#ffffff', 'line-width': 0.9 },
  });
  map.addLayer({
    id: LAYER_HOVER,
    type: 'line',
    source: SOURCE,
    paint: {
      'line-color': '#102a43',
      'line-width': 2,
      'line-opacity': ['case', ['boolean', ['feature-state', 'hover'], false], 1, 0],
    },
  });

  map.on('mousemove', LAYER_FILL, (e) => {
    const f = e.features?.[0];
    if (!f) return;
    const code = String(f.id ?? f.properties.code);
    setHover(code);
    showPopup(code, f.properties.name, e.lngLat);
  });
  map.on('mouseleave', LAYER_FILL, () => {
    setHover(null);
    popup.remove();
  });
  // Touch screens have no hover: show the same popup on tap.
  map.on('click', LAYER_FILL, (e) => {
    const f = e.features?.[0];
    if (f) showPopup(String(f.id ?? f.properties.code), f.properties.name, e.lngLat);
  });
}

function setHover(code) {
  if (code === hoverCode) return;
  if (hoverCode !== null) map.setFeatureState({ source: SOURCE, id: hoverCode }, { hover: false });
  hoverCode = code;
  if (code !== null) map.setFeatureState({ source: SOURCE, id: code }, { hover: true });
}

function showPopup(code, name, lngLat) {
  const row = state.byCode.get(code);
  const node = document.createElement('div');
  // textContent only: names come from the server and are never parsed as HTML.
  const title = document.createElement('strong');
  title.className = 'pop-name';
  title.textContent = row?.name || name || code;
  const codeLine = document.createElement('span');
  codeLine.className = 'pop-code';
  codeLine.textContent = `${t('code')} ${code}`;
  const value = document.createElement('span');
  value.className = 'pop-value';
  if (row && Number.isFinite(row.count)) {
    const u = unitStrings();
    value.append(`${kindName(currentKind())}${t('colon')}`);
    const b = document.createElement('b');
    b.textContent = fmtNumber(row.count);
    value.append(b, u.suffix ? ` ${u.suffix}` : '');
  } else {
    value.textContent = t('noData');
  }
  node.append(title, codeLine, value);
  popup.setLngLat(lngLat).setDOMContent(node).addTo(map);
}

/**
 * Quantile classes over `values` (already finite numbers).
 *
 * Returns one entry per non-empty class: `lo` is the class's lower bound as
 * used by the step expression, `min`/`max` the actual extremes in the data
 * (what the legend shows). Tied values can make quantile breaks coincide; such
 * duplicate breaks are dropped, so fewer than `k` classes may come back.
 */
function quantileClasses(values, k) {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return [];
  const lows = [v[0]];
  for (let i = 1; i < k; i++) {
    const b = v[Math.floor((i * v.length) / k)];
    if (b > lows[lows.length - 1]) lows.push(b);
  }
  const colors = paletteFor(lows.length);
  return lows.map((lo, i) => {
    const next = lows[i + 1];
    const members = v.filter((x) => x >= lo && (next === undefined || x < next));
    return { lo, min: members[0], max: members[members.length - 1], n: members.length, color: colors[i] };
  });
}

/** Pick `m` colours spread over the palette (keeps contrast when m < 5). */
function paletteFor(m) {
  if (m >= PALETTE.length) return PALETTE.slice(0, m);
  if (m === 1) return [PALETTE[2]];
  return Array.from({ length: m }, (_, i) => PALETTE[Math.round((i * (PALETTE.length - 1)) / (m - 1))]);
}

function fillColorExpression(classes) {
  if (classes.length === 0) return NO_DATA_COLOR;
  const value = ['number', ['feature-state', 'value'], 0];
  let colored = classes[0].color;
  if (classes.length > 1) {
    colored = ['step', value, classes[0].color];
    for (const c of classes.slice(1)) colored.push(c.lo, c.color);
  }
  return ['case', ['==', ['typeof', ['feature-state', 'value']], 'number'], colored, NO_DATA_COLOR];
}

/** Run `fn` once the map has drawn everything queued so far. */
function afterRender(fn) {
  map.once('idle', fn);
  map.triggerRepaint();
}

// ---------------------------------------------------------------------------
// Stats

const statsCache = new Map();
let statsSeq = 0;
let statsAbort = null;

async function loadStats() {
  // Selections made before the map and its layers exist are simply recorded;
  // main() loads the stats for whatever is selected once the layers are added.
  if (!map.getSource(SOURCE)) return;
  const { kind, month } = state;
  const key = `${kind}|${month}`;
  const seq = ++statsSeq;
  statsAbort?.abort();
  statsAbort = new AbortController();
  document.body.classList.add('loading');
  el.totalCaption.textContent = t('loading');
  try {
    let stats = statsCache.get(key);
    if (!stats) {
      const path = 'stats';
      stats = await getJSON(path, { level: LEVEL, kind, month }, statsAbort.signal);
      if (!Array.isArray(stats.rows)) throw malformed(`${API_BASE.pathname}${path}`);
      statsCache.set(key, stats);
    }
    if (seq !== statsSeq) return; // a newer selection superseded this one
    clearError();
    applyStats(stats, key);
  } catch (e) {
    if (e.name === 'AbortError' || seq !== statsSeq) return;
    // Never leave the previous month's numbers on screen under the new label.
    applyStats(null, key);
    showError(e);
  } finally {
    if (seq === statsSeq) document.body.classList.remove('loading');
  }
}

function applyStats(stats, key) {
  state.stats = stats;
  state.byCode = new Map((stats?.rows ?? []).map((r) => [String(r.code), r]));

  const values = [];
  for (const code of state.codes) {
    const count = state.byCode.get(code)?.count;
    const value = Number.isFinite(count) ? count : null;
    if (value !== null) values.push(value);
    map.setFeatureState({ source: SOURCE, id: code }, { value });
  }
  state.classes = quantileClasses(values, CLASS_COUNT);
  map.setPaintProperty(LAYER_FILL, 'fill-color', fillColorExpression(state.classes));

  renderSummary();
  renderTable();
  renderLegend();
  popup.remove();

  if (stats) {
    afterRender(() => {
      document.body.dataset.view = key;
      if (document.body.dataset.ready !== '1') document.body.dataset.ready = '1';
    });
  }
}

// ---------------------------------------------------------------------------
// Panel rendering

function renderSummary() {
  const u = unitStrings();
  el.countHead.textContent = u.count;
  const stats = state.stats;
  if (!stats) {
    el.total.textContent = '—';
    el.totalUnit.textContent = '';
    el.totalCaption.textContent = state.kind
      ? `${kindName(currentKind())} · ${fmtMonth(state.month)}`
      : t('loading');
    delete el.total.dataset.kind;
    return;
  }
  el.total.textContent = Number.isFinite(stats.total) ? fmtNumber(stats.total) : '—';
  el.total.dataset.kind = stats.kind ?? state.kind;
  el.total.dataset.month = stats.month ?? state.month;
  el.totalUnit.textContent = u.suffix;
  el.totalCaption.textContent = `${kindName(currentKind())} · ${fmtMonth(stats.month ?? state.month)}`;
}

function renderTable() {
  const rows = [...(state.stats?.rows ?? [])]
    .filter((r) => Number.isFinite(r.count))
    .sort((a, b) => b.count - a.count || String(a.code).localeCompare(String(b.code)))
    .slice(0, 10);
  const total = state.stats?.total;

  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = 4;
    td.className = 'empty';
    td.textContent = state.stats ? t('noRows') : '—';
    tr.append(td);
    el.top10.replaceChildren(tr);
    return;
  }

  el.top10.replaceChildren(
    ...rows.map((r, i) => {
      const tr = document.createElement('tr');
      const code = String(r.code);
      tr.dataset.code = code;
      const cells = [
        [String(i + 1), 'num rank'],
        [r.name ?? code, ''],
        [fmtNumber(r.count), 'num'],
        [total > 0 ? fmtShare(r.count / total) : '—', 'num'],
      ];
      for (const [text, cls] of cells) {
        const td = document.createElement('td');
        td.textContent = text;
        if (cls) td.className = cls;
        tr.append(td);
      }
      // Hovering a row outlines the province on the map.
      tr.addEventListener('mouseenter', () => state.codes.includes(code) && setHover(code));
      tr.addEventListener('mouseleave', () => setHover(null));
      return tr;
    }),
  );
}

function renderLegend() {
  const classes = state.classes;
  if (!state.stats || classes.length === 0) {
    el.legend.hidden = true;
    return;
  }
  el.legend.hidden = false;
  el.legendTitle.textContent = t('legendTitle', { count: unitStrings().count });

  const item = (color, label) => {
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = 'legend-swatch';
    sw.style.background = color; // CSSOM, allowed by a strict style-src CSP
    const text = document.createElement('span');
    text.textContent = label;
    li.append(sw, text);
    return li;
  };

  const items = classes.map((c) =>
    item(c.color, c.min === c.max ? fmtNumber(c.min) : `${fmtNumber(c.min)} – ${fmtNumber(c.max)}`),
  );
  // Only list "no data" when some province actually lacks a value.
  if (state.codes.some((code) => !Number.isFinite(state.byCode.get(code)?.count))) {
    items.push(item(NO_DATA_COLOR, t('noData')));
  }
  el.legendItems.replaceChildren(...items);
}

function renderKinds() {
  const kinds = state.meta.kinds;
  el.kindList.replaceChildren(
    ...kinds.map((k) => {
      const label = document.createElement('label');
      label.className = 'kind';
      label.dataset.kind = k.id;
      const input = document.createElement('input');
      input.type = 'radio';
      input.name = 'kind';
      input.value = k.id;
      input.checked = k.id === state.kind;
      const main = document.createElement('span');
      main.className = 'kind-main';
      const sub = document.createElement('small');
      sub.className = 'kind-sub';
      label.append(input, main, sub);
      return label;
    }),
  );
  updateKindLabels();
}

/** Primary name in the UI language, the other language in small text. */
function updateKindLabels() {
  for (const label of el.kindList.querySelectorAll('label.kind')) {
    const k = state.meta.kinds.find((x) => x.id === label.dataset.kind);
    const zh = k.name_zh || k.name_en || k.id;
    const en = k.name_en || '';
    const [main, sub] = state.lang === 'en' ? [en || zh, zh] : [zh, en];
    label.querySelector('.kind-main').textContent = main;
    const small = label.querySelector('.kind-sub');
    small.textContent = sub === main ? '' : sub;
    small.lang = state.lang === 'en' ? 'zh-CN' : 'en';
  }
}

function renderMonthHint(invalid = false) {
  const m = state.meta?.months;
  if (!m) return;
  const vars = { first: fmtMonth(m.first), last: fmtMonth(m.last) };
  el.monthHint.textContent = invalid ? t('monthOutOfRange', vars) : t('monthRange', vars);
  el.monthHint.classList.toggle('invalid', invalid);
  el.monthPrev.disabled = !state.month || state.month <= m.first;
  el.monthNext.disabled = !state.month || state.month >= m.last;
}

function showError(err) {
  state.error = err;
  renderError();
}

function clearError() {
  state.error = null;
  el.error.hidden = true;
  delete document.body.dataset.error;
}

function renderError() {
  const e = state.error;
  if (!e) return;
  let message;
  if (e instanceof ApiError) {
    if (e.serverMessage) message = e.serverMessage;
    else if (e.network) message = t('networkError', { message: e.network });
    else if (e.malformed) message = t('badResponse');
    else message = t('httpError', { status: e.status });
  } else {
    message = e?.message || String(e);
  }
  const detail = [];
  if (e.code) detail.push(e.code);
  if (e.param) detail.push(`param=${e.param}`);
  if (e.status) detail.push(`HTTP ${e.status}`);
  if (e.url) detail.push(e.url);
  el.errorMessage.textContent = message;
  el.errorDetail.textContent = detail.join(' · ');
  el.error.hidden = false;
  document.body.dataset.error = '1';
}

// ---------------------------------------------------------------------------
// Language

function applyLang() {
  const lang = state.lang;
  document.documentElement.lang = lang;
  document.title = t('title');
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll('[data-i18n-aria]')) {
    node.setAttribute('aria-label', t(node.dataset.i18nAria));
  }
  for (const node of document.querySelectorAll('[data-i18n-title]')) node.title = t(node.dataset.i18nTitle);
  for (const btn of document.querySelectorAll('.lang-btn')) {
    btn.setAttribute('aria-pressed', String(btn.dataset.lang === lang));
  }
  // MapLibre reads its `locale` only at construction; relabel the controls.
  for (const [cls, key] of [['zoom-in', 'zoomIn'], ['zoom-out', 'zoomOut']]) {
    const btn = document.querySelector(`.maplibregl-ctrl-${cls}`);
    if (btn) {
      btn.title = t(key);
      btn.setAttribute('aria-label', t(key));
    }
  }
  el.engineNote.textContent = t('engine', { version: getVersion() });

  if (state.meta) {
    updateKindLabels();
    renderMonthHint(el.month.validity && !el.month.validity.valid);
  }
  renderSummary();
  if (document.body.classList.contains('loading')) el.totalCaption.textContent = t('loading');
  renderTable();
  renderLegend();
  renderError();
  popup.remove();
}

function setLang(lang) {
  if (!(lang in STRINGS) || lang === state.lang) return;
  state.lang = lang;
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    // not persisted; fine
  }
  applyLang();
}

// ---------------------------------------------------------------------------
// Controls

function shiftMonth(ym, delta) {
  const [y, m] = ym.split('-').map(Number);
  const i = y * 12 + (m - 1) + delta;
  return `${String(Math.floor(i / 12)).padStart(4, '0')}-${String((i % 12) + 1).padStart(2, '0')}`;
}

function selectMonth(ym) {
  const { first, last } = state.meta.months;
  const ok = MONTH_RE.test(ym) && ym >= first && ym <= last;
  if (!ok) {
    renderMonthHint(true);
    return;
  }
  el.month.value = ym;
  if (ym !== state.month) {
    state.month = ym;
    loadStats();
  }
  renderMonthHint(false);
}

function wireControls() {
  for (const btn of document.querySelectorAll('.lang-btn')) {
    btn.addEventListener('click', () => setLang(btn.dataset.lang));
  }
  el.kindList.addEventListener('change', (e) => {
    if (e.target.name !== 'kind' || e.target.value === state.kind) return;
    state.kind = e.target.value;
    loadStats();
  });
  el.month.addEventListener('change', () => selectMonth(el.month.value));
  el.monthPrev.addEventListener('click', () => state.month && selectMonth(shiftMonth(state.month, -1)));
  el.monthNext.addEventListener('click', () => state.month && selectMonth(shiftMonth(state.month, 1)));
}

// ---------------------------------------------------------------------------
// Start-up

function validateMeta(meta) {
  const months = meta?.months;
  const ok =
    Array.isArray(meta?.kinds) &&
    meta.kinds.length > 0 &&
    meta.kinds.every((k) => k && typeof k.id === 'string') &&
    MONTH_RE.test(months?.first ?? '') &&
    MONTH_RE.test(months?.last ?? '') &&
    months.first <= months.last;
  if (!ok) throw malformed(`${API_BASE.pathname}meta`);
  if (!MONTH_RE.test(months.default ?? '') || months.default < months.first || months.default > months.last) {
    months.default = months.last;
  }
  return meta;
}

function validateBoundaries(fc) {
  if (fc?.type !== 'FeatureCollection' || !Array.isArray(fc.features)) {
    throw malformed(`${API_BASE.pathname}boundaries`);
  }
  return fc;
}

async function main() {
  applyLang();
  wireControls();
  try {
    const [meta, boundaries] = await Promise.all([
      getJSON('meta').then(validateMeta),
      getJSON('boundaries', { level: LEVEL }).then(validateBoundaries),
    ]);
    state.meta = meta;
    state.kind = meta.kinds[0].id;
    state.month = meta.months.default;
    state.codes = [
      ...new Set(boundaries.features.map((f) => f.properties?.code).filter((c) => c != null).map(String)),
    ];

    renderKinds();
    el.month.min = meta.months.first;
    el.month.max = meta.months.last;
    el.month.value = state.month;
    renderMonthHint(false);
    renderSummary();

    await mapLoaded;
    addProvinceLayers(boundaries);
    const bounds = boundsOf(boundaries);
    if (bounds) map.fitBounds(bounds, { padding: mapPadding(), animate: false });

    await loadStats();
  } catch (e) {
    showError(e);
  }
}

main();
