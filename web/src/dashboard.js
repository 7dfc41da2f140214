// shikong web — leader dashboard (一屏管理) at /dashboard.
//
// One 1920×1080 screen, no scrolling: key figures per kind for a month with the
// month-over-month change, trend lines over every month with data, a ranking
// of the divisions by a chosen kind and measure, a small map from the server's
// own `division` vector tiles, and status tiles. Refreshes itself every five
// minutes; API answers carry ETags, so an unchanged refetch is a cheap 304.
//
// Fully offline: ECharts and MapLibre are served by the shikong server, the
// map style has no glyphs, sprite or outside source, and names are shown in
// HTML or ECharts canvases (local fonts), never as map symbols.
//
// Scope: the whole country by default. `?parent=<6-digit code>` narrows every
// panel to one province or prefecture (ranking and map then show its children)
// — the hook for token scopes once those exist. Clicking a division in the
// ranking or the map opens its own dashboard (全国 → 省 → 市). `?month=YYYY-MM`
// opens a given month (kept in the address when one is chosen).
//
// Test hooks (tests/web/dashboard.mjs):
//   body[data-ready="true"]   set once everything has rendered the first time
//   body[data-view]           "month|kind|measure" drawn by the last full render
//   body[data-month]          month of the key figures currently shown
//   body[data-error="true"]   an error is shown in the banner
//   body[data-refreshes]      refreshes done (timer or button) since the page loaded
//   window.shikongDashboard   { map, inset, trendChart, rankChart, state }

import * as echarts from '/vendor/echarts.esm.min.mjs';
import { Map as MapLibreMap } from '/vendor/maplibre-gl.mjs';
import {
  SUPPRESSED_TITLE, hasRole, isSuppressed, markSuppressed, redirectToLogin, scopeCode, suppressedText, unauthorized, userBadge,
  whoAmI,
} from '/common.js';

const API_BASE = new URL('/api/v1/', window.location.origin);
const TILE_URL = new URL('/tiles/division/', window.location.origin).href;

// Auto-refresh every 5 minutes; `?refresh=<seconds>` (10 s – 1 day) overrides
// it, e.g. for a wall screen that should follow the data more closely.
const REFRESH_MS = refreshInterval();
const FETCH_TIMEOUT_MS = 60_000;
const MAX_SERIES_MONTHS = 240; // the server's limit per series request
const MONTH_RE = /^\d{4}-(0[1-9]|1[0-2])$/;
const CODE_RE = /^[1-8]\d{5}$/;
const LANG_KEY = 'shikong.lang';
const MEASURES = ['count', 'rate', 'change'];
const TREND_MODES = ['count', 'index'];

// One colour per kind, in the order of /meta kinds (cards, trend lines).
const KIND_COLORS = [
  '#38bdf8', '#fbbf24', '#a78bfa', '#34d399', '#f472b6', '#fb923c',
  '#60a5fa', '#facc15', '#f87171', '#2dd4bf', '#c084fc', '#94a3b8',
];
// Map classes, low → high (sequential), and decrease → increase (diverging,
// green down / red up like the cards and the ranking: 上升红、下降绿).
const SEQ_PALETTE = ['#12406e', '#1769a0', '#2595bd', '#5cc6c8', '#b9efc2'];
const DIV_PALETTE = ['#16a06c', '#86d9b0', '#55657a', '#f6a58a', '#e0403a'];
const NO_DATA_COLOR = '#2a3b52';
const SUPPRESSED_COLOR = '#4b5d75'; // divisions whose small count is suppressed for this user
const MAP_BG = '#0a1930';
const UP_COLOR = '#ff6b6b'; // 上升红
const DOWN_COLOR = '#34d399'; // 下降绿
const FLAT_COLOR = '#94a3b8';

const C = {
  text: '#dbe7f7',
  soft: '#93a8c6',
  faint: '#5d7394',
  grid: 'rgba(120, 150, 190, 0.16)',
  axis: 'rgba(120, 150, 190, 0.45)',
  accent: '#38bdf8',
  tooltipBg: 'rgba(8, 22, 44, 0.95)',
};
const FONT =
  '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", system-ui, sans-serif';

// Initial view: mainland China with Hainan; the map is refitted to its panel.
const CHINA_BOUNDS = [[73, 17.5], [135.5, 54]];
// The inset: the South China Sea down to Zengmu Ansha (曾母暗沙).
const SCS_BOUNDS = [[106.5, 1.2], [123.5, 23.5]];

// Provinces by the first two code digits (GB/T 2260), for English labels.
const PROVINCE_EN = {
  11: 'Beijing', 12: 'Tianjin', 13: 'Hebei', 14: 'Shanxi', 15: 'Inner Mongolia',
  21: 'Liaoning', 22: 'Jilin', 23: 'Heilongjiang', 31: 'Shanghai', 32: 'Jiangsu',
  33: 'Zhejiang', 34: 'Anhui', 35: 'Fujian', 36: 'Jiangxi', 37: 'Shandong',
  41: 'Henan', 42: 'Hubei', 43: 'Hunan', 44: 'Guangdong', 45: 'Guangxi',
  46: 'Hainan', 50: 'Chongqing', 51: 'Sichuan', 52: 'Guizhou', 53: 'Yunnan',
  54: 'Xizang', 61: 'Shaanxi', 62: 'Gansu', 63: 'Qinghai', 64: 'Ningxia',
  65: 'Xinjiang', 71: 'Taiwan', 81: 'Hong Kong', 82: 'Macao',
};

// ---------------------------------------------------------------------------
// UI strings. zh-CN is the default and the reference; en mirrors its keys.

const EN_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const STRINGS = {
  'zh-CN': {
    docTitle: '一屏管理 — 时空 shikong',
    heading: '民政一屏管理',
    subtitle: '民政服务对象综合态势',
    nation: '全国',
    upNation: '返回全国',
    upProvince: '返回全省',
    month: '统计月份',
    prevMonth: '上一月',
    nextMonth: '下一月',
    refresh: '刷新',
    updated: '更新于 {time}',
    autoRefresh: '每 {n} 分钟自动刷新',
    autoRefreshSec: '每 {n} 秒自动刷新',
    refreshing: '正在刷新…',
    loading: '加载中…',
    kpiHeading: '关键指标',
    groupPerson: '困难群众',
    groupOther: '机构与登记',
    mom: '环比',
    momNone: '环比 —',
    momFlat: '持平',
    previous: '上月 {value}',
    trendTitle: '近 {n} 个月趋势',
    trendCount: '规模',
    trendIndex: '指数',
    trendModeLabel: '趋势显示方式',
    trendNoteCount: '各类困难群众在册人数（月末）',
    trendNoteIndex: '以 {month} 为 100 的指数，便于比较不同规模的类别',
    trendAria: '趋势图',
    mapTitle: '分布地图 · {kind} · {measure}',
    mapAria: '分布地图',
    rankTitle: '{level}排名',
    rankKind: '类别',
    measureLabel: '排名指标',
    measureCount: '总量',
    measureRate: '每万人',
    measureChange: '环比增减',
    rankAria: '排名图',
    levels: { province: '省级', prefecture: '地市', county: '区县' },
    legendSeq: '五分位分级',
    legendDiv: '增减分级',
    noData: '无数据',
    suppressedLegend: '小数抑制（{lt}）',
    scsInset: '南海诸岛',
    mapUnavailable: '此浏览器无法显示地图（需要 WebGL 2），其余内容不受影响。',
    rankOf: '第 {rank} 位',
    statusLabel: '数据状态',
    dataTitle: '数据概况',
    factRecords: '记录总数',
    factMonths: '数据月份',
    factVersion: '数据版本',
    monthsSpan: '{first} 至 {last}（{n} 个月）',
    qualityTitle: '数据质量',
    reconTitle: '对账状态',
    dimCompleteness: '完整性',
    dimValidity: '有效性',
    dimUniqueness: '唯一性',
    dimAgreement: '一致性',
    dimTimeliness: '及时性',
    qualityScoreTip: '{month} 综合得分（0–100），{n} 条记录',
    qualityWorst: '最低：{name} {score} 分',
    qualityNone: '本月无记录可评分',
    reconMatched: '相符',
    reconMissing: '缺报',
    reconExtra: '多报',
    reconChecksum: '校验不符',
    reconUndeclared: '未申报',
    reconBadge: '{declared}/{total} 项已申报',
    reconNone: '本月尚无省份申报数（部省对账）：{n} 项已接收、未申报。',
    reconAllMatched: '已申报各项均相符。',
    reconIssue: '{province} {kind} {status} {n}',
    governanceError: '无法获取（{message}）',
    unassigned: '{n} 条记录未落入任何区划。',
    errorTitle: '加载失败',
    networkError: '无法连接服务器（{message}）',
    timeoutError: '服务器响应超时',
    httpError: '服务器返回 HTTP {status}',
    badResponse: '服务器返回的数据格式无效',
    badScope: '地址参数 parent 应为 6 位行政区划代码',
    formatMonth: (y, m) => `${y}年${m}月`,
    units: { person: '人', household: '户', facility: '家', organization: '个', event: '对' },
    rateUnit: '人/万人',
    colon: '：',
    numberLocale: 'zh-CN',
    timeLocale: 'zh-CN',
  },
  en: {
    docTitle: 'Leader dashboard — shikong 时空',
    heading: 'Civil-Affairs Dashboard',
    subtitle: 'Service recipients at a glance',
    nation: 'Nationwide',
    upNation: 'back to national',
    upProvince: 'up to province',
    month: 'Month',
    prevMonth: 'Previous month',
    nextMonth: 'Next month',
    refresh: 'Refresh',
    updated: 'Updated {time}',
    autoRefresh: 'auto-refresh every {n} min',
    autoRefreshSec: 'auto-refresh every {n} s',
    refreshing: 'Refreshing…',
    loading: 'Loading…',
    kpiHeading: 'Key figures',
    groupPerson: 'Persons',
    groupOther: 'Others',
    mom: 'MoM',
    momNone: 'MoM —',
    momFlat: 'unchanged',
    previous: 'prev. {value}',
    trendTitle: 'Trend, last {n} months',
    trendCount: 'Count',
    trendIndex: 'Index',
    trendModeLabel: 'Trend display',
    trendNoteCount: 'Persons supported per category (month end)',
    trendNoteIndex: 'Index with {month} = 100, to compare categories of different size',
    trendAria: 'Trend chart',
    mapTitle: 'Map · {kind} · {measure}',
    mapAria: 'Distribution map',
    rankTitle: '{level} ranking',
    rankKind: 'Category',
    measureLabel: 'Ranking measure',
    measureCount: 'Total',
    measureRate: 'Per 10k',
    measureChange: 'MoM change',
    rankAria: 'Ranking chart',
    levels: { province: 'Province', prefecture: 'Prefecture', county: 'County' },
    legendSeq: 'quintiles',
    legendDiv: 'decrease / increase',
    noData: 'No data',
    suppressedLegend: 'Suppressed small count ({lt})',
    scsInset: 'S. China Sea Islands',
    mapUnavailable: 'This browser cannot draw the map (WebGL 2 needed); the rest of the page works.',
    rankOf: 'rank {rank}',
    statusLabel: 'Data status',
    dataTitle: 'Data overview',
    factRecords: 'Records',
    factMonths: 'Months',
    factVersion: 'Data version',
    monthsSpan: '{first} – {last} ({n} months)',
    qualityTitle: 'Data quality',
    reconTitle: 'Reconciliation',
    dimCompleteness: 'Complete',
    dimValidity: 'Valid',
    dimUniqueness: 'Unique',
    dimAgreement: 'Located',
    dimTimeliness: 'Timely',
    qualityScoreTip: '{month} overall score (0–100), {n} records',
    qualityWorst: 'Lowest: {name} {score}',
    qualityNone: 'No records to score this month',
    reconMatched: 'Matched',
    reconMissing: 'Missing',
    reconExtra: 'Extra',
    reconChecksum: 'Checksum',
    reconUndeclared: 'Undeclared',
    reconBadge: '{declared}/{total} declared',
    reconNone: 'No province has declared counts for this month yet: {n} lines received, undeclared.',
    reconAllMatched: 'Every declared line matches.',
    reconIssue: '{province} {kind} {status} {n}',
    governanceError: 'Unavailable ({message})',
    unassigned: '{n} records fall outside every division.',
    errorTitle: 'Failed to load',
    networkError: 'Cannot reach the server ({message})',
    timeoutError: 'The server did not answer in time',
    httpError: 'Server returned HTTP {status}',
    badResponse: 'The server returned malformed data',
    badScope: 'The parent parameter must be a 6-digit division code',
    formatMonth: (y, m) => `${EN_MONTHS[m - 1]} ${y}`,
    units: { person: 'persons', household: 'households', facility: 'facilities', organization: 'orgs', event: 'couples' },
    rateUnit: 'per 10k residents',
    colon: ': ',
    numberLocale: 'en-US',
    timeLocale: 'en-GB',
  },
};

// ---------------------------------------------------------------------------
// State

const state = {
  lang: initialLang(),
  meta: null, // GET /meta body
  scope: { code: null, name: null, level: 'province', childLevel: 'province', bbox: null },
  months: [], // every month with data, oldest first
  month: null, // selected "YYYY-MM"
  followLatest: true, // move to the newest month when a refresh brings one
  kpis: new Map(), // kind -> /stats body (or an Error) for state.month
  series: new Map(), // kind -> /stats/series months[] (or an Error)
  seriesRange: null, // { from, to }
  rankKind: null,
  measure: 'count',
  rank: null, // /stats/top body for (rankKind, month, measure)
  classes: [], // map classes of the current ranking
  trendMode: 'count',
  dataVersion: null,
  updatedAt: null,
  refreshing: false,
  error: null,
  governance: null, // { month, scope, quality: /quality body | Error, recon: /reconciliation body | Error }
  home: null, // the signed-in user's division scope when narrower than the country (GET /auth/me)
};

const $ = (id) => document.getElementById(id);
const el = {
  scopeName: $('scope-name'),
  scopeUp: $('scope-up'),
  month: $('month'),
  monthPrev: $('month-prev'),
  monthNext: $('month-next'),
  refresh: $('refresh'),
  updated: $('updated'),
  error: $('error'),
  errorMessage: $('error-message'),
  errorDetail: $('error-detail'),
  kpiPerson: $('kpi-person'),
  kpiOther: $('kpi-other'),
  trendTitle: $('trend-title'),
  trendNote: $('trend-note'),
  trendChart: $('trend-chart'),
  mapTitle: $('map-title'),
  mapTip: $('map-tip'),
  legend: $('legend'),
  legendTitle: $('legend-title'),
  legendItems: $('legend-items'),
  rankTitle: $('rank-title'),
  rankKind: $('rank-kind'),
  rankChart: $('rank-chart'),
  factRecords: $('fact-records'),
  factMonths: $('fact-months'),
  factVersion: $('fact-version'),
  qualityExtra: $('quality-extra'),
  qualityScore: $('quality-score'),
  qualityDims: $('quality-dims'),
  reconBadge: $('recon-badge'),
  reconCounts: $('recon-counts'),
  reconExtra: $('recon-extra'),
};

function refreshInterval() {
  const asked = Number(new URLSearchParams(window.location.search).get('refresh'));
  return Number.isFinite(asked) && asked >= 10 && asked <= 86_400 ? Math.round(asked * 1000) : 5 * 60 * 1000;
}

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

// ---------------------------------------------------------------------------
// Formatting

function fmtInt(n) {
  return Number.isFinite(n) ? new Intl.NumberFormat(S().numberLocale, { maximumFractionDigits: 0 }).format(n) : '—';
}

function fmtSigned(n, digits = 0) {
  if (!Number.isFinite(n)) return '—';
  return new Intl.NumberFormat(S().numberLocale, {
    signDisplay: 'exceptZero',
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  }).format(n);
}

function fmtPct(x) {
  if (!Number.isFinite(x)) return '—';
  return new Intl.NumberFormat(S().numberLocale, {
    style: 'percent',
    signDisplay: 'exceptZero',
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  }).format(x);
}

/** Short axis numbers: 4000万 / 40M. */
function fmtCompact(n) {
  if (!Number.isFinite(n)) return '';
  return new Intl.NumberFormat(S().numberLocale, { notation: 'compact', maximumFractionDigits: 1 }).format(n);
}

function fmtDecimal(n, digits) {
  if (!Number.isFinite(n)) return '—';
  return new Intl.NumberFormat(S().numberLocale, {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(n);
}

function fmtMonth(ym) {
  if (!MONTH_RE.test(ym ?? '')) return ym ?? '';
  const [y, m] = ym.split('-').map(Number);
  return S().formatMonth(y, m);
}

function fmtTime(date) {
  return new Intl.DateTimeFormat(S().timeLocale, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  }).format(date);
}

/** A measure's value formatted for labels. */
function fmtMeasure(measure, v) {
  if (measure === 'rate') return fmtDecimal(v, rateDigits());
  if (measure === 'change') return fmtSigned(v);
  return fmtInt(v);
}

/** Rates per 10k come with two decimals; small ones (a small dataset) need both. */
function rateDigits() {
  const rows = state.rank?.rows ?? [];
  const max = rows.reduce((m, r) => (Number.isFinite(r.rate_per_10k) ? Math.max(m, Math.abs(r.rate_per_10k)) : m), 0);
  return max < 10 ? 2 : 1;
}

function kindById(id) {
  return state.meta?.kinds.find((k) => k.id === id) ?? null;
}

function kindName(kind) {
  if (!kind) return '';
  return state.lang === 'en' ? kind.name_en || kind.name_zh : kind.name_zh || kind.name_en;
}

function kindColor(id) {
  const i = state.meta ? state.meta.kinds.findIndex((k) => k.id === id) : -1;
  return KIND_COLORS[(i >= 0 ? i : 0) % KIND_COLORS.length];
}

function unitSuffix(kind) {
  return S().units[kind?.unit] ?? '';
}

function measureName(m) {
  return t({ count: 'measureCount', rate: 'measureRate', change: 'measureChange' }[m]);
}

/** Division name for charts: provinces shortened (广西壮族自治区 → 广西) or in English. */
function divisionLabel(row) {
  const code = String(row.code ?? '');
  const name = String(row.name ?? code);
  if (row.level === 'province' || (code.endsWith('0000') && code.length === 6)) {
    if (state.lang === 'en' && PROVINCE_EN[code.slice(0, 2)]) return PROVINCE_EN[code.slice(0, 2)];
    return name.replace(/(维吾尔自治区|壮族自治区|回族自治区|自治区|特别行政区|省|市)$/, '') || name;
  }
  return name;
}

// ---------------------------------------------------------------------------
// API access

class ApiError extends Error {
  constructor(o) {
    super(o.serverMessage || o.network || `HTTP ${o.status}`);
    this.name = 'ApiError';
    Object.assign(this, o);
  }
}

/**
 * GET a JSON document from the shikong API; throws ApiError on any failure.
 * The server tags every answer with an ETag and `Cache-Control: no-cache`, so
 * the browser revalidates a repeated request and gets a 304 when nothing
 * changed — refetching on every refresh is cheap.
 */
async function getJSON(path, params = {}) {
  const url = new URL(path, API_BASE);
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) url.searchParams.set(k, v);
  const shown = url.pathname + url.search;

  let res;
  try {
    res = await fetch(url, {
      headers: { Accept: 'application/json' },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
  } catch (e) {
    if (e.name === 'TimeoutError') throw new ApiError({ url: shown, timeout: true });
    throw new ApiError({ url: shown, network: e.message });
  }
  // No (or an expired) session: off to the sign-in page, which comes back here.
  if (res.status === 401) throw unauthorized(shown);

  let body = null;
  try {
    body = await res.json();
  } catch {
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

function malformed(path) {
  return new ApiError({ url: `${API_BASE.pathname}${path}`, status: 200, malformed: true });
}

function validateMeta(meta) {
  const months = meta?.months;
  const ok =
    Array.isArray(meta?.kinds) &&
    meta.kinds.length > 0 &&
    meta.kinds.every((k) => k && typeof k.id === 'string') &&
    MONTH_RE.test(months?.first ?? '') &&
    MONTH_RE.test(months?.last ?? '') &&
    months.first <= months.last;
  if (!ok) throw malformed('meta');
  return meta;
}

function monthRange(first, last) {
  const out = [];
  let [y, m] = first.split('-').map(Number);
  for (let guard = 0; guard < 1200; guard++) {
    const ym = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}`;
    out.push(ym);
    if (ym >= last) break;
    m += 1;
    if (m > 12) {
      m = 1;
      y += 1;
    }
  }
  return out;
}

/** Level and parent of the per-division requests for the current scope. */
function scopeQuery() {
  const s = state.scope;
  return s.code ? { level: s.childLevel, parent: s.code } : { level: 'province' };
}

async function fetchKpis(month) {
  const kinds = state.meta.kinds;
  const q = scopeQuery();
  const settled = await Promise.allSettled(
    kinds.map((k) =>
      getJSON('stats', { ...q, kind: k.id, month }).then((body) => {
        // A total the server suppressed (a small count, for a viewer) is null.
        if (!(Number.isFinite(body.total) || (body.total === null && isSuppressed(body))) || !Array.isArray(body.rows)) throw malformed('stats');
        return body;
      }),
    ),
  );
  return new Map(kinds.map((k, i) => [k.id, settled[i].status === 'fulfilled' ? settled[i].value : settled[i].reason]));
}

async function fetchSeries(from, to) {
  const kinds = state.meta.kinds;
  const settled = await Promise.allSettled(
    kinds.map((k) =>
      getJSON('stats/series', { code: state.scope.code, kind: k.id, from, to }).then((body) => {
        if (!Array.isArray(body.months)) throw malformed('stats/series');
        return body.months;
      }),
    ),
  );
  return new Map(kinds.map((k, i) => [k.id, settled[i].status === 'fulfilled' ? settled[i].value : settled[i].reason]));
}

async function fetchRank(kind, month, measure) {
  const body = await getJSON('stats/top', { ...scopeQuery(), kind, month, measure, order: 'desc', n: 500 });
  if (!Array.isArray(body.rows)) throw malformed('stats/top');
  return body;
}

async function fetchScope(code) {
  const d = await getJSON(`divisions/${code}`);
  const level = d.level;
  const childLevel = level === 'province' ? 'prefecture' : 'county';
  return { code, name: d.name ?? code, level, childLevel, bbox: Array.isArray(d.bbox) ? d.bbox : null };
}

// ---------------------------------------------------------------------------
// Charts

const trendChart = echarts.init(el.trendChart, null, { renderer: 'canvas' });
const rankChart = echarts.init(el.rankChart, null, { renderer: 'canvas' });
rankChart.on('click', (p) => {
  if (p.componentType === 'series' && p.data?.code) drillTo(p.data.code);
});
for (const [chart, node] of [[trendChart, el.trendChart], [rankChart, el.rankChart]]) {
  new ResizeObserver(() => chart.resize()).observe(node);
}

/** Resolves after `chart` finishes its next render (or after a safety timeout). */
function chartDone(chart) {
  return new Promise((resolve) => {
    const timer = setTimeout(finish, 4000);
    function finish() {
      clearTimeout(timer);
      chart.off('finished', finish);
      resolve();
    }
    chart.on('finished', finish);
  });
}

/** Chart font sizes follow the page's rem, which scales with the screen (15px at 1920). */
function px(n) {
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 15;
  return Math.round(((n * rem) / 15) * 10) / 10;
}

function baseText(size = 12) {
  return { color: C.soft, fontFamily: FONT, fontSize: px(size) };
}

function tooltipBase() {
  return {
    // Drawn on the canvas rather than as HTML: ECharts' HTML tooltips carry
    // inline style attributes, which a strict CSP (style-src 'self') refuses.
    renderMode: 'richText',
    backgroundColor: C.tooltipBg,
    borderColor: '#24416b',
    textStyle: { color: C.text, fontFamily: FONT, fontSize: px(13) },
    confine: true,
  };
}

/** Person kinds in the trend; the others have their own scale (cards show them). */
function trendKinds() {
  const persons = state.meta.kinds.filter((k) => k.unit === 'person');
  return persons.length > 0 ? persons : state.meta.kinds.slice(0, 6);
}

function loadingOptions() {
  return {
    text: t('loading'),
    color: C.accent,
    textColor: C.soft,
    maskColor: 'rgba(5, 15, 34, 0.4)',
    fontSize: px(14),
    fontFamily: FONT,
  };
}

/**
 * Height the trend legend takes when it wraps over the chart's width: a big
 * screen is not clicked, so every name stays visible rather than paged.
 */
function legendHeight(names) {
  const width = el.trendChart.clientWidth || 600;
  const size = px(12);
  const item = px(14) + 5 + px(14); // symbol, its gap, the gap to the next item
  let rows = 1;
  let x = 0;
  for (const name of names) {
    const w = [...name].reduce((n, ch) => n + (ch.charCodeAt(0) > 0x2e80 ? size : size * 0.56), 0) + item;
    if (x > 0 && x + w > width) {
      rows += 1;
      x = 0;
    }
    x += w;
  }
  return rows * (size + px(10));
}

function renderTrend() {
  trendChart.hideLoading();
  const months = state.seriesRange ? monthRange(state.seriesRange.from, state.seriesRange.to) : [];
  const index = state.trendMode === 'index';
  el.trendTitle.textContent = t('trendTitle', { n: months.length || '—' });
  el.trendNote.textContent = index ? t('trendNoteIndex', { month: fmtMonth(months[0]) }) : t('trendNoteCount');

  const series = trendKinds().map((k, i) => {
    const points = state.series.get(k.id);
    const byMonth = new Map(Array.isArray(points) ? points.map((p) => [p.month, p.count]) : []);
    const raw = months.map((m) => (Number.isFinite(byMonth.get(m)) ? byMonth.get(m) : null));
    const base = raw.find((v) => Number.isFinite(v) && v > 0);
    const data = index ? raw.map((v) => (Number.isFinite(v) && base ? (v / base) * 100 : null)) : raw;
    const s = {
      id: k.id,
      name: kindName(k),
      type: 'line',
      data,
      showSymbol: false,
      symbolSize: 6,
      connectNulls: false,
      lineStyle: { width: k.id === state.rankKind ? 3.5 : 2 },
      itemStyle: { color: kindColor(k.id) },
      emphasis: { focus: 'series' },
      z: k.id === state.rankKind ? 3 : 2,
    };
    if (i === 0) {
      // The selected month, marked across the chart.
      s.markLine = {
        silent: true,
        symbol: 'none',
        animation: false,
        lineStyle: { color: 'rgba(255,255,255,0.55)', type: 'dashed', width: 1 },
        label: { show: true, formatter: state.month ?? '', color: C.text, fontFamily: FONT, fontSize: px(11), position: 'insideEndTop' },
        data: state.month && months.includes(state.month) ? [{ xAxis: state.month }] : [],
      };
    }
    return s;
  });

  trendChart.setOption(
    {
      animationDuration: 500,
      animationDurationUpdate: 400,
      textStyle: { fontFamily: FONT },
      grid: { left: 12, right: 20, top: legendHeight(series.map((x) => x.name)) + px(14), bottom: 8, containLabel: true },
      legend: {
        type: 'plain',
        top: 0,
        left: 0,
        right: 0,
        icon: 'roundRect',
        itemWidth: px(14),
        itemHeight: px(4),
        itemGap: px(14),
        textStyle: baseText(12),
        pageTextStyle: { color: C.soft },
        pageIconColor: C.accent,
        pageIconInactiveColor: C.faint,
      },
      tooltip: {
        ...tooltipBase(),
        trigger: 'axis',
        axisPointer: { type: 'line', lineStyle: { color: C.axis } },
        valueFormatter: (v) => (index ? fmtDecimal(v, 1) : fmtInt(v)),
      },
      xAxis: {
        type: 'category',
        data: months,
        boundaryGap: false,
        axisLine: { lineStyle: { color: C.axis } },
        axisTick: { show: false },
        axisLabel: { ...baseText(11), formatter: (m) => m.replace('-', '/'), hideOverlap: true },
      },
      yAxis: {
        type: 'value',
        scale: index,
        splitLine: { lineStyle: { color: C.grid } },
        axisLabel: { ...baseText(11), formatter: (v) => (index ? fmtDecimal(v, 0) : fmtCompact(v)) },
      },
      series,
    },
    { notMerge: false, replaceMerge: ['series'] },
  );
}

function measureValue(row, measure) {
  if (measure === 'rate') return row.rate_per_10k;
  if (measure === 'change') return row.change;
  return row.count;
}

/**
 * Divisions the data does not cover: no record and no population figure (in
 * the bundled data: Taiwan, Hong Kong, Macao). Shown as "no data", not as 0.
 */
function isUncovered(row) {
  return row.count === 0 && (row.population === null || row.population === undefined);
}

function uncoveredCodes() {
  return (state.rank?.rows ?? []).filter(isUncovered).map((r) => String(r.code));
}

/** The ranking's rows that have the measure, in the server's order. */
function rankedRows() {
  return (state.rank?.rows ?? []).filter((r) => !isUncovered(r) && Number.isFinite(measureValue(r, state.measure)));
}

function renderRank() {
  rankChart.hideLoading();
  const measure = state.measure;
  const levelName = S().levels[state.scope.childLevel] ?? S().levels.province;
  el.rankTitle.textContent = t('rankTitle', { level: levelName });
  const rows = rankedRows();
  const names = rows.map(divisionLabel);
  const kind = kindById(state.rankKind);
  const color = kindColor(state.rankKind);

  const data = rows.map((r, i) => {
    const v = measureValue(r, measure);
    let barColor = color;
    if (measure === 'change') barColor = v > 0 ? UP_COLOR : v < 0 ? DOWN_COLOR : FLAT_COLOR;
    return {
      value: v,
      code: String(r.code),
      itemStyle: { color: barColor, opacity: measure === 'change' || i < 3 ? 1 : 0.72, borderRadius: v < 0 ? [3, 0, 0, 3] : [0, 3, 3, 0] },
      label: { position: v < 0 ? 'left' : 'right' },
    };
  });
  // Bars thin out as the list grows, but stay readable down to ~40 rows.
  const fontSize = rows.length > 36 ? 10 : 12;

  rankChart.setOption(
    {
      animationDuration: 500,
      animationDurationUpdate: 500,
      textStyle: { fontFamily: FONT },
      grid: { left: 8, right: 64, top: 4, bottom: 4, containLabel: true },
      tooltip: {
        ...tooltipBase(),
        trigger: 'item',
        formatter: (p) => {
          const r = rows[p.dataIndex];
          if (!r) return '';
          const unit = measure === 'rate' ? S().rateUnit : measure === 'count' ? unitSuffix(kind) : '';
          return `${plain(r.name ?? r.code)}\n${plain(kindName(kind))} · ${plain(measureName(measure))}${S().colon}${plain(fmtMeasure(measure, p.value))} ${plain(unit)}`;
        },
      },
      xAxis: {
        type: 'value',
        // Room left of the shortest negative bar for its label.
        min: (ext) => (ext.min < 0 ? ext.min - (Math.max(ext.max, 0) - ext.min) * 0.14 : 0),
        splitLine: { lineStyle: { color: C.grid } },
        axisLabel: { show: false },
      },
      yAxis: {
        type: 'category',
        inverse: true,
        data: names,
        axisTick: { show: false },
        axisLine: { onZero: false, lineStyle: { color: C.axis } },
        axisLabel: { ...baseText(fontSize), color: C.text, interval: 0, width: px(96), overflow: 'truncate' },
      },
      series: [
        {
          id: 'rank',
          type: 'bar',
          data,
          barCategoryGap: '28%',
          barMaxWidth: px(22),
          cursor: canDrill() ? 'pointer' : 'default',
          label: {
            show: true,
            color: C.text,
            fontFamily: FONT,
            fontSize: px(fontSize),
            formatter: (p) => fmtMeasure(measure, p.value),
          },
        },
      ],
    },
    { replaceMerge: ['series'] },
  );
}

/** Text for a rich-text tooltip: braces and bars are rich-text markup there. */
function plain(s) {
  return String(s ?? '').replace(/[{}|]/g, ' ');
}

// ---------------------------------------------------------------------------
// Map

const SOURCE = 'division';
const LAYER_FILL = 'division-fill';
const LAYER_LINE = 'division-line';
const LAYER_HOVER = 'division-hover';
const ISLANDS = 'islands';
const SANSHA = '460300';
const HAINAN = '460000';

function offlineStyle(name) {
  return {
    version: 8,
    name,
    // No glyphs/sprite and no outside source: nothing leaves the server.
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': MAP_BG } }],
  };
}

// A small overview: no panning or zooming, only hover read-outs.
const STATIC_MAP = {
  attributionControl: false,
  renderWorldCopies: false,
  dragRotate: false,
  pitchWithRotate: false,
  touchPitch: false,
  dragPan: false,
  scrollZoom: false,
  boxZoom: false,
  doubleClickZoom: false,
  keyboard: false,
  touchZoomRotate: false,
};

/**
 * The maps, or null where the browser cannot draw them (MapLibre needs
 * WebGL 2): the rest of the dashboard then works without the map.
 */
function createMaps() {
  try {
    const main = new MapLibreMap({
      ...STATIC_MAP,
      container: 'map',
      style: offlineStyle('shikong-dashboard'),
      bounds: CHINA_BOUNDS,
      fitBoundsOptions: { padding: 10 },
    });
    // The South China Sea islands (南海诸岛) in an inset, as on the standard
    // map of China; they belong to Hainan, so the same tiles and colours apply.
    const small = new MapLibreMap({
      ...STATIC_MAP,
      container: 'map-inset',
      style: offlineStyle('shikong-dashboard-inset'),
      bounds: SCS_BOUNDS,
      fitBoundsOptions: { padding: 2 },
      interactive: false,
    });
    for (const m of [main, small]) {
      // A failed tile or source shows in the banner (and the console) rather
      // than only in MapLibre's default console message.
      m.on('error', (e) => {
        const err = e?.error ?? e;
        if (err?.status === 401) {
          redirectToLogin(); // a tile request without a valid session
          return;
        }
        console.error('map:', err?.message ?? err);
        showError(err instanceof Error ? err : new Error(String(err?.message ?? err)));
      });
    }
    return [main, small];
  } catch (e) {
    console.error('map unavailable:', e?.message ?? e);
    $('map-unavailable').hidden = false;
    $('map-inset-box').hidden = true;
    return [null, null];
  }
}

const [map, inset] = createMaps();
const mapLoaded = Promise.all([map, inset].filter(Boolean).map((m) => new Promise((resolve) => m.once('load', resolve))));
if (map) {
  new ResizeObserver(() => {
    map.resize();
    fitMap();
  }).observe($('map'));
  new ResizeObserver(() => {
    inset.resize();
    inset.fitBounds(SCS_BOUNDS, { padding: 2, animate: false });
  }).observe($('map-inset'));
}

let mapTilesKey = null;
let hoverCode = null;

function tileUrl(kind, month, measure) {
  const q = new URLSearchParams({ kind, month, measure });
  return `${TILE_URL}{z}/{x}/{y}.mvt?${q}`;
}

/** Tile zooms that hold the scope's children (the server picks the level by zoom). */
function tileZooms() {
  const lvl = state.scope.childLevel;
  if (lvl === 'county') return { minzoom: 7, maxzoom: 7 };
  if (lvl === 'prefecture') return { minzoom: 4, maxzoom: 4 };
  return { minzoom: 0, maxzoom: 3 };
}

/** The inset only belongs on a map of the whole country (or of Hainan). */
function insetShown() {
  return !state.scope.code || state.scope.code.startsWith('46');
}

function fitMap() {
  if (!map) return;
  const b = state.scope.bbox;
  const bounds = b && b.length === 4 ? [[b[0], b[1]], [b[2], b[3]]] : CHINA_BOUNDS;
  const { minzoom } = tileZooms();
  map.setMinZoom(null);
  map.fitBounds(bounds, { padding: 10, animate: false });
  if (map.getZoom() < minzoom) map.setZoom(minzoom);
  $('map-inset-box').hidden = !insetShown();
}

function addDivisionLayers(m, hover) {
  const { minzoom, maxzoom } = tileZooms();
  m.addSource(SOURCE, {
    type: 'vector',
    tiles: [tileUrl(state.rankKind, state.month, state.measure)],
    minzoom,
    maxzoom, // overzoomed beyond: the map keeps showing this level
    promoteId: 'code',
  });
  const digits = state.scope.level === 'province' ? 2 : 4;
  const scopeFilter = state.scope.code
    ? ['==', ['slice', ['to-string', ['get', 'code']], 0, digits], state.scope.code.slice(0, digits)]
    : true;
  m.addLayer({
    id: LAYER_FILL,
    type: 'fill',
    source: SOURCE,
    'source-layer': 'division',
    filter: scopeFilter,
    paint: { 'fill-color': NO_DATA_COLOR, 'fill-opacity': 0.95 },
  });
  m.addLayer({
    id: LAYER_LINE,
    type: 'line',
    source: SOURCE,
    'source-layer': 'division',
    filter: scopeFilter,
    paint: { 'line-color': 'rgba(10, 25, 48, 0.9)', 'line-width': 0.8 },
  });
  if (!hover) return;
  m.addLayer({
    id: LAYER_HOVER,
    type: 'line',
    source: SOURCE,
    'source-layer': 'division',
    filter: scopeFilter,
    paint: {
      'line-color': '#ffffff',
      'line-width': 1.8,
      'line-opacity': ['case', ['boolean', ['feature-state', 'hover'], false], 1, 0],
    },
  });
}

/**
 * The islands of Sansha (三沙市, 460300) are reefs far below a pixel at the
 * inset's scale, so they are drawn as dots: one per island, at its centre,
 * from the boundary the API serves. Without them the inset would show empty sea.
 */
async function addIslandDots() {
  let feature;
  try {
    feature = await getJSON(`divisions/${SANSHA}/boundary`, { zoom: 6 });
  } catch {
    return; // the inset simply shows no dots
  }
  const g = feature?.geometry;
  const polys = g?.type === 'MultiPolygon' ? g.coordinates : g?.type === 'Polygon' ? [g.coordinates] : [];
  const points = polys
    .map((poly) => {
      const ring = poly[0] ?? [];
      if (ring.length === 0) return null;
      const lon = ring.reduce((n, c) => n + c[0], 0) / ring.length;
      const lat = ring.reduce((n, c) => n + c[1], 0) / ring.length;
      return { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [lon, lat] } };
    })
    .filter(Boolean);
  if (points.length === 0 || !inset || inset.getSource(ISLANDS)) return;
  inset.addSource(ISLANDS, { type: 'geojson', data: { type: 'FeatureCollection', features: points } });
  inset.addLayer({
    id: ISLANDS,
    type: 'circle',
    source: ISLANDS,
    paint: {
      'circle-radius': 1.4,
      'circle-color': islandColor(),
      'circle-stroke-color': 'rgba(190, 225, 255, 0.75)',
      'circle-stroke-width': 0.6,
    },
  });
}

/** Hainan's class colour, for the island dots. */
function islandColor() {
  const row = rankedRows().find((r) => String(r.code) === HAINAN);
  const v = row ? measureValue(row, state.measure) : null;
  if (!Number.isFinite(v) || state.classes.length === 0) return NO_DATA_COLOR;
  let color = state.classes[0].color;
  for (const c of state.classes) if (v >= c.lo) color = c.color;
  return color;
}

function ensureMapLayers() {
  if (!map || map.getSource(SOURCE)) return;
  addDivisionLayers(map, true);
  if (insetShown()) {
    addDivisionLayers(inset, false);
    addIslandDots();
  }
  mapTilesKey = `${state.rankKind}|${state.month}|${state.measure}|${state.dataVersion}`;

  map.on('mousemove', LAYER_FILL, (e) => {
    const f = e.features?.[0];
    if (!f) return;
    setHover(String(f.id ?? f.properties.code));
    showTip(f, e.point);
  });
  map.on('mouseleave', LAYER_FILL, () => {
    setHover(null);
    el.mapTip.hidden = true;
    map.getCanvas().style.cursor = '';
  });
  map.on('mouseenter', LAYER_FILL, () => {
    if (canDrill()) map.getCanvas().style.cursor = 'pointer'; // CSSOM, CSP-safe
  });
  map.on('click', LAYER_FILL, (e) => {
    const f = e.features?.[0];
    if (f) drillTo(String(f.id ?? f.properties.code));
  });
}

/** Counties are the finest level: below a prefecture there is nothing to open. */
function canDrill() {
  return state.scope.childLevel !== 'county';
}

/** Opens the dashboard of one division of the ranking or the map (全国→省→市). */
function drillTo(code) {
  if (!canDrill() || !CODE_RE.test(code)) return;
  const row = (state.rank?.rows ?? []).find((r) => String(r.code) === code);
  if (!row || isUncovered(row)) return;
  const url = new URL(window.location.href);
  url.searchParams.set('parent', code);
  window.location.assign(url);
}

/** The link one level up: the province of a prefecture, or the whole country. */
function renderScopeUp() {
  const s = state.scope;
  // No way up from the user's own scope (above it the server answers 403).
  el.scopeUp.hidden = !s.code || s.code === state.home;
  if (el.scopeUp.hidden) return;
  const url = new URL(window.location.href);
  if (s.level === 'prefecture' || s.level === 'county') {
    url.searchParams.set('parent', `${s.code.slice(0, 2)}0000`);
    el.scopeUp.textContent = t('upProvince');
  } else {
    url.searchParams.delete('parent');
    el.scopeUp.textContent = t('upNation');
  }
  el.scopeUp.href = url.pathname + url.search;
}

/** Maps that show the division layers. */
function divisionMaps() {
  return [map, inset].filter((m) => m?.getSource(SOURCE));
}

function setHover(code) {
  if (code === hoverCode) return;
  const src = { source: SOURCE, sourceLayer: 'division' };
  if (hoverCode !== null) map.setFeatureState({ ...src, id: hoverCode }, { hover: false });
  hoverCode = code;
  if (code !== null) map.setFeatureState({ ...src, id: code }, { hover: true });
}

function showTip(feature, point) {
  const code = String(feature.id ?? feature.properties.code);
  const all = state.rank?.rows ?? [];
  const rows = rankedRows();
  const i = rows.findIndex((r) => String(r.code) === code);
  const row = rows[i];
  const uncovered = all.some((r) => String(r.code) === code && isUncovered(r));
  const name = document.createElement('strong');
  name.textContent = row?.name ?? all.find((r) => String(r.code) === code)?.name ?? feature.properties.name ?? code;
  const line = document.createElement('span');
  const v = row ? measureValue(row, state.measure) : feature.properties.value;
  const hidden = !Number.isFinite(v) && (isSuppressed(feature.properties) || all.some((r) => String(r.code) === code && isSuppressed(r)));
  line.textContent = Number.isFinite(v) && !uncovered
    ? `${kindName(kindById(state.rankKind))} · ${measureName(state.measure)}${S().colon}${fmtMeasure(state.measure, v)}`
    : hidden
      ? `${kindName(kindById(state.rankKind))} · ${measureName(state.measure)}${S().colon}${suppressedText()}`
      : t('noData');
  const rank = document.createElement('small');
  rank.textContent = i >= 0 ? t('rankOf', { rank: i + 1 }) : '';
  el.mapTip.replaceChildren(name, line, rank);
  el.mapTip.hidden = false;
  const wrap = el.mapTip.parentElement.getBoundingClientRect();
  const tip = el.mapTip.getBoundingClientRect();
  const x = Math.min(point.x + 14, wrap.width - tip.width - 6);
  const y = Math.min(point.y + 14, wrap.height - tip.height - 6);
  el.mapTip.style.transform = `translate(${Math.max(6, x)}px, ${Math.max(6, y)}px)`; // CSSOM, CSP-safe
}

/** Classes for the map from the ranking's values (every division of the scope). */
function mapClasses(values, measure) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return [];
  if (measure === 'change') {
    // Diverging: decreases in blues, no change in grey, increases in reds;
    // each side split at its median when it has more than one value.
    const neg = v.filter((x) => x < 0);
    const pos = v.filter((x) => x > 0);
    const groups = [];
    if (neg.length > 0) {
      const mid = neg[Math.floor(neg.length / 2)];
      const strong = neg.filter((x) => x < mid);
      if (strong.length > 0) groups.push({ lo: strong[0], color: DIV_PALETTE[0], members: strong });
      groups.push({ lo: mid, color: DIV_PALETTE[1], members: neg.filter((x) => x >= mid) });
    }
    if (v.includes(0)) groups.push({ lo: 0, color: DIV_PALETTE[2], members: [0] });
    if (pos.length > 0) {
      const mid = pos[Math.floor(pos.length / 2)];
      const light = pos.filter((x) => x < mid);
      if (light.length > 0) groups.push({ lo: light[0], color: DIV_PALETTE[3], members: light });
      groups.push({ lo: mid, color: DIV_PALETTE[4], members: pos.filter((x) => x >= mid) });
    }
    return groups.map((g, i) => {
      const min = g.members[0];
      const max = g.members[g.members.length - 1];
      return {
        lo: g.lo,
        hi: groups[i + 1]?.lo ?? Infinity,
        color: g.color,
        label: min === max ? fmtSigned(min) : `${fmtSigned(min)} ~ ${fmtSigned(max)}`,
      };
    });
  }
  // Quantiles (quintiles); tied breaks collapse, so there may be fewer classes.
  const k = SEQ_PALETTE.length;
  const lows = [v[0]];
  for (let i = 1; i < k; i++) {
    const b = v[Math.floor((i * v.length) / k)];
    if (b > lows[lows.length - 1]) lows.push(b);
  }
  const colors = lows.length >= k ? SEQ_PALETTE : lows.map((_, i) => SEQ_PALETTE[Math.round((i * (k - 1)) / Math.max(1, lows.length - 1))]);
  return lows.map((lo, i) => {
    const next = lows[i + 1];
    const members = v.filter((x) => x >= lo && (next === undefined || x < next));
    const min = members[0];
    const max = members[members.length - 1];
    return {
      lo,
      hi: next ?? Infinity,
      color: colors[i],
      label: min === max ? fmtMeasure(measure, min) : `${fmtMeasure(measure, min)} ~ ${fmtMeasure(measure, max)}`,
    };
  });
}

/** A tile feature the server marked `suppressed=true` (its value left out). */
const SUPPRESSED_FEATURE = ['any', ['==', ['get', 'suppressed'], true], ['==', ['get', 'suppressed'], 'true']];

function fillExpression(classes, uncovered = []) {
  if (classes.length === 0) return ['case', SUPPRESSED_FEATURE, SUPPRESSED_COLOR, NO_DATA_COLOR];
  let colored = classes[0].color;
  if (classes.length > 1) {
    colored = ['step', ['to-number', ['get', 'value']], classes[0].color];
    for (const c of classes.slice(1)) colored.push(c.lo, c.color);
  }
  const expr = ['case', ['has', 'value'], colored, SUPPRESSED_FEATURE, SUPPRESSED_COLOR, NO_DATA_COLOR];
  if (uncovered.length === 0) return expr;
  return ['match', ['to-string', ['get', 'code']], uncovered, NO_DATA_COLOR, expr];
}

/** Replaces the division source with one on `url`, re-adding its layers in place. */
function swapTiles(m, url) {
  const style = m.getStyle();
  const layers = style.layers;
  const ours = layers
    .map((layer, i) => ({ layer, next: layers.slice(i + 1).find((l) => l.source !== SOURCE)?.id }))
    .filter(({ layer }) => layer.source === SOURCE);
  const spec = { ...style.sources[SOURCE], tiles: [url] };
  delete spec.url;
  for (const { layer } of ours) m.removeLayer(layer.id);
  m.removeSource(SOURCE);
  m.addSource(SOURCE, spec);
  for (const { layer, next } of ours) m.addLayer(layer, next && m.getLayer(next) ? next : undefined);
}

/** Points the map at the tiles of the current selection and recolours it. */
function renderMap() {
  if (!map) {
    el.legend.hidden = true;
    return;
  }
  ensureMapLayers();
  const key = `${state.rankKind}|${state.month}|${state.measure}|${state.dataVersion}`;
  const maps = divisionMaps();
  const values = rankedRows().map((r) => measureValue(r, state.measure));
  state.classes = mapClasses(values, state.measure);
  const fill = fillExpression(state.classes, uncoveredCodes());
  // New tiles come in through a new source, not setTiles(): in MapLibre 6.17 a
  // data-driven paint change near setTiles() can keep the old tiles on screen.
  if (key !== mapTilesKey) {
    mapTilesKey = key;
    for (const m of maps) swapTiles(m, tileUrl(state.rankKind, state.month, state.measure));
  }
  for (const m of maps) m.setPaintProperty(LAYER_FILL, 'fill-color', fill);
  if (inset?.getLayer(ISLANDS)) inset.setPaintProperty(ISLANDS, 'circle-color', islandColor());
  renderLegend();
  el.mapTip.hidden = true;
}

function renderMapTitle() {
  el.mapTitle.textContent = t('mapTitle', { kind: kindName(kindById(state.rankKind)), measure: measureName(state.measure) });
}

function renderLegend() {
  if (state.classes.length === 0) {
    el.legend.hidden = true;
    return;
  }
  el.legend.hidden = false;
  const unit = state.measure === 'rate' ? S().rateUnit : state.measure === 'count' ? unitSuffix(kindById(state.rankKind)) : '';
  el.legendTitle.textContent = `${measureName(state.measure)}${unit ? ` (${unit})` : ''} · ${state.measure === 'change' ? t('legendDiv') : t('legendSeq')}`;
  const items = state.classes.map((c) => {
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = 'legend-swatch';
    sw.style.background = c.color; // CSSOM, allowed by a strict style-src CSP
    const text = document.createElement('span');
    text.textContent = c.label;
    li.append(sw, text);
    return li;
  });
  if ((state.rank?.rows ?? []).some((r) => isSuppressed(r) && !Number.isFinite(measureValue(r, state.measure)))) {
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = 'legend-swatch';
    sw.style.background = SUPPRESSED_COLOR;
    const text = document.createElement('span');
    text.textContent = t('suppressedLegend', { lt: suppressedText() });
    li.title = SUPPRESSED_TITLE;
    li.append(sw, text);
    items.push(li);
  }
  if (uncoveredCodes().length > 0) {
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = 'legend-swatch';
    sw.style.background = NO_DATA_COLOR;
    const text = document.createElement('span');
    text.textContent = t('noData');
    li.append(sw, text);
    items.push(li);
  }
  el.legendItems.replaceChildren(...items);
}

/** Resolves once the map has drawn everything queued so far. */
function mapDone() {
  return Promise.all(
    divisionMaps().map(
      (m) =>
        new Promise((resolve) => {
          const timer = setTimeout(resolve, 20_000);
          m.once('idle', () => {
            clearTimeout(timer);
            resolve();
          });
          m.triggerRepaint();
        }),
    ),
  );
}

// ---------------------------------------------------------------------------
// Key-figure cards

function buildKpis() {
  const make = (k) => {
    const card = document.createElement('article');
    card.className = 'kpi';
    card.dataset.kind = k.id;
    card.tabIndex = 0;
    card.setAttribute('role', 'button');
    card.style.setProperty('--kind-color', kindColor(k.id)); // CSSOM
    const name = document.createElement('h3');
    name.className = 'kpi-name';
    const value = document.createElement('p');
    value.className = 'kpi-value';
    const num = document.createElement('span');
    num.className = 'kpi-num';
    num.textContent = '—';
    const unit = document.createElement('span');
    unit.className = 'kpi-unit';
    value.append(num, unit);
    const mom = document.createElement('p');
    mom.className = 'kpi-mom';
    const spark = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    spark.classList.add('kpi-spark');
    spark.setAttribute('viewBox', '0 0 100 30');
    spark.setAttribute('preserveAspectRatio', 'none');
    spark.setAttribute('aria-hidden', 'true');
    card.append(name, value, mom, spark);
    card.addEventListener('click', () => selectRankKind(k.id));
    card.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        selectRankKind(k.id);
      }
    });
    return card;
  };
  const kinds = state.meta.kinds;
  const persons = kinds.filter((k) => k.unit === 'person');
  const others = kinds.filter((k) => k.unit !== 'person');
  el.kpiPerson.replaceChildren(...persons.map(make));
  el.kpiOther.replaceChildren(...others.map(make));
  el.kpiPerson.style.setProperty('--cols', String(Math.max(1, persons.length)));
  el.kpiOther.style.setProperty('--cols', String(Math.max(1, others.length)));
}

function renderKpis() {
  for (const card of document.querySelectorAll('.kpi')) {
    const kind = kindById(card.dataset.kind);
    const stats = state.kpis.get(card.dataset.kind);
    const num = card.querySelector('.kpi-num');
    const mom = card.querySelector('.kpi-mom');
    card.querySelector('.kpi-name').textContent = kindName(kind);
    card.querySelector('.kpi-name').title = kindName(kind);
    card.querySelector('.kpi-unit').textContent = unitSuffix(kind);
    card.setAttribute('aria-pressed', String(card.dataset.kind === state.rankKind));
    mom.classList.remove('up', 'down', 'flat');

    if (!stats || stats instanceof Error) {
      num.textContent = '—';
      markSuppressed(num, false);
      delete num.dataset.value;
      delete card.dataset.month;
      mom.textContent = stats instanceof Error ? t('errorTitle') : t('loading');
      renderSpark(card);
      continue;
    }
    const hidden = !Number.isFinite(stats.total) && isSuppressed(stats);
    num.textContent = hidden ? suppressedText() : fmtInt(stats.total);
    markSuppressed(num, hidden);
    if (Number.isFinite(stats.total)) num.dataset.value = String(stats.total);
    else delete num.dataset.value;
    card.dataset.month = stats.month ?? state.month;
    const prev = stats.total_previous;
    if (Number.isFinite(prev) && prev > 0 && Number.isFinite(stats.total)) {
      const change = stats.total - prev;
      const dir = change > 0 ? 'up' : change < 0 ? 'down' : 'flat';
      mom.classList.add(dir);
      const arrow = { up: '▲', down: '▼', flat: '■' }[dir];
      const pct = document.createElement('b');
      pct.textContent = dir === 'flat' ? t('momFlat') : `${arrow} ${fmtPct(change / prev)}`;
      const abs = document.createElement('span');
      abs.className = 'kpi-abs';
      abs.textContent = dir === 'flat' ? '' : fmtSigned(change);
      mom.replaceChildren(`${t('mom')} `, pct, ' ', abs);
      mom.title = t('previous', { value: fmtInt(prev) });
    } else {
      mom.textContent = t('momNone');
      mom.title = '';
    }
    renderSpark(card);
  }
}

/** Sparkline of the kind's series in the card, with the selected month marked. */
function renderSpark(card) {
  const svg = card.querySelector('.kpi-spark');
  const all = state.series.get(card.dataset.kind);
  // Months whose count is suppressed (null) are left out of the line.
  const points = Array.isArray(all) ? all.filter((p) => Number.isFinite(p?.count)) : null;
  if (!points || points.length < 2) {
    svg.replaceChildren();
    return;
  }
  const vals = points.map((p) => p.count);
  const lo = Math.min(...vals);
  const hi = Math.max(...vals);
  const span = hi - lo || 1;
  const x = (i) => (i / (points.length - 1)) * 100;
  const y = (v) => 27 - ((v - lo) / span) * 24;
  const ns = 'http://www.w3.org/2000/svg';
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', points.map((p, i) => `${x(i).toFixed(2)},${y(p.count).toFixed(2)}`).join(' '));
  line.setAttribute('class', 'spark-line');
  line.setAttribute('vector-effect', 'non-scaling-stroke');
  const nodes = [line];
  const i = points.findIndex((p) => p.month === state.month);
  if (i >= 0) {
    const mark = document.createElementNS(ns, 'line');
    mark.setAttribute('x1', x(i).toFixed(2));
    mark.setAttribute('x2', x(i).toFixed(2));
    mark.setAttribute('y1', '0');
    mark.setAttribute('y2', '30');
    mark.setAttribute('class', 'spark-mark');
    mark.setAttribute('vector-effect', 'non-scaling-stroke');
    nodes.unshift(mark);
  }
  svg.replaceChildren(...nodes);
}

// ---------------------------------------------------------------------------
// Header, status tiles, errors

function renderHeader() {
  el.scopeName.textContent = state.scope.code ? state.scope.name : t('nation');
  renderScopeUp();
  const months = state.months;
  if (el.month.options.length !== months.length) {
    el.month.replaceChildren(
      ...[...months].reverse().map((m) => {
        const o = document.createElement('option');
        o.value = m;
        return o;
      }),
    );
  }
  for (const o of el.month.options) o.textContent = fmtMonth(o.value);
  el.month.disabled = months.length === 0;
  if (state.month) el.month.value = state.month;
  el.monthPrev.disabled = !state.month || state.month <= months[0];
  el.monthNext.disabled = !state.month || state.month >= months[months.length - 1];

  if (state.meta && el.rankKind.options.length !== state.meta.kinds.length) {
    el.rankKind.replaceChildren(
      ...state.meta.kinds.map((k) => {
        const o = document.createElement('option');
        o.value = k.id;
        return o;
      }),
    );
  }
  for (const o of el.rankKind.options) o.textContent = kindName(kindById(o.value));
  el.rankKind.disabled = !state.meta;
  if (state.rankKind) el.rankKind.value = state.rankKind;
  for (const b of document.querySelectorAll('[data-measure]')) b.setAttribute('aria-pressed', String(b.dataset.measure === state.measure));
  for (const b of document.querySelectorAll('[data-trend]')) b.setAttribute('aria-pressed', String(b.dataset.trend === state.trendMode));
  renderUpdated();
}

function renderUpdated() {
  if (state.refreshing) {
    el.updated.textContent = t('refreshing');
  } else if (state.updatedAt) {
    const every = REFRESH_MS % 60_000 === 0 ? t('autoRefresh', { n: REFRESH_MS / 60_000 }) : t('autoRefreshSec', { n: Math.round(REFRESH_MS / 1000) });
    el.updated.textContent = `${t('updated', { time: fmtTime(state.updatedAt) })} · ${every}`;
  } else {
    el.updated.textContent = t('loading');
  }
}

/** Fetches the month's quality scores and reconciliation for the governance tiles. */
async function fetchGovernance(month) {
  const parent = state.scope.code;
  // Quality is for caseworkers and up, reconciliation for administrators: the tiles of a
  // role below stay empty rather than show the server's 403.
  const [quality, recon] = await Promise.allSettled([
    hasRole('caseworker') ? getJSON('quality', { month, parent, level: parent ? state.scope.childLevel : 'province' }) : null,
    hasRole('admin') ? getJSON('reconciliation', { month }) : null,
  ]);
  const value = (r) => (r.status === 'fulfilled' ? r.value : r.reason);
  return { month, scope: parent, quality: value(quality), recon: value(recon) };
}

let governanceSeq = 0;

/** Loads the governance tiles on their own: a slow scan never holds up the charts. */
async function loadGovernance() {
  const seq = ++governanceSeq;
  const month = state.month;
  const governance = await fetchGovernance(month);
  if (seq !== governanceSeq) return;
  state.governance = governance;
  renderGovernance();
  document.body.dataset.governance = month;
}

function fmtShare(x) {
  if (!Number.isFinite(x)) return '—';
  return `${(Math.floor(x * 1000) / 10).toFixed(1)}%`;
}

function renderGovernance() {
  const g = state.governance;
  const q = g?.quality;
  const total = q && !(q instanceof Error) ? q.total : null;
  const score = Number.isFinite(total?.score) ? total.score : null;
  el.qualityScore.textContent = score === null ? '—' : fmtDecimal(score, 1);
  el.qualityScore.classList.toggle('low', score !== null && score < 90);
  el.qualityScore.title = total ? t('qualityScoreTip', { month: g.month, n: fmtInt(total.counts?.records ?? 0) }) : '';
  for (const dd of el.qualityDims.querySelectorAll('dd')) {
    const v = total?.[dd.dataset.dim];
    dd.textContent = fmtShare(v);
    dd.classList.toggle('warn', Number.isFinite(v) && v < 0.95);
  }
  const notes = [];
  if (q instanceof Error) notes.push(t('governanceError', { message: q.message }));
  else if (total && !(total.counts?.records > 0)) notes.push(t('qualityNone'));
  else {
    const worst = (q?.divisions ?? []).find((d) => Number.isFinite(d.score));
    if (worst && (q.divisions?.length ?? 0) > 1) notes.push(t('qualityWorst', { name: worst.name || worst.code, score: fmtDecimal(worst.score, 1) }));
  }
  // Records outside every boundary: a figure the statistics already carry.
  const stats = [...state.kpis.values()].filter((x) => x && !(x instanceof Error));
  const unassigned = stats.reduce((n, x) => n + (Number.isFinite(x.unassigned) ? x.unassigned : 0), 0);
  if (!state.scope.code && unassigned > 0) notes.push(t('unassigned', { n: fmtInt(unassigned) }));
  el.qualityExtra.textContent = notes.join(' ');

  const r = g?.recon;
  const province = state.scope.code ? Math.floor(Number(state.scope.code) / 10000) * 10000 : null;
  const rows = r && !(r instanceof Error) ? (r.rows ?? []).filter((row) => province === null || row.province_code === province) : [];
  const counts = {};
  for (const row of rows) counts[row.status] = (counts[row.status] ?? 0) + 1;
  for (const dd of el.reconCounts.querySelectorAll('dd')) {
    dd.textContent = r && !(r instanceof Error) ? fmtInt(counts[dd.dataset.status] ?? 0) : '—';
    dd.classList.toggle('warn', dd.dataset.status !== 'matched' && dd.dataset.status !== 'undeclared' && (counts[dd.dataset.status] ?? 0) > 0);
  }
  const declared = rows.filter((row) => row.status !== 'undeclared').length;
  el.reconBadge.textContent = r && !(r instanceof Error) ? t('reconBadge', { declared: fmtInt(declared), total: fmtInt(rows.length) }) : '';
  el.reconBadge.classList.toggle('ok', declared > 0 && declared === (counts.matched ?? 0));
  let note = '';
  if (r instanceof Error) note = t('governanceError', { message: r.message });
  else if (r && declared === 0) note = t('reconNone', { n: fmtInt(rows.length) });
  else if (r) {
    const issues = rows
      .filter((row) => ['missing', 'extra', 'checksum_mismatch'].includes(row.status))
      .sort((a, b) => Math.abs(b.difference ?? 0) - Math.abs(a.difference ?? 0))
      .slice(0, 3)
      .map((row) =>
        t('reconIssue', {
          province: state.lang === 'en' ? String(row.province_code) : row.province_name || row.province_code,
          kind: kindName(kindById(row.kind)) || row.kind,
          status: t({ missing: 'reconMissing', extra: 'reconExtra', checksum_mismatch: 'reconChecksum' }[row.status]),
          n: row.status === 'checksum_mismatch' ? '' : fmtInt(Math.abs(row.difference ?? 0)),
        }).trim(),
      );
    note = issues.length > 0 ? issues.join('；') : t('reconAllMatched');
  }
  el.reconExtra.textContent = note;
}

function renderStatus() {
  const meta = state.meta;
  el.factRecords.textContent = Number.isFinite(meta?.records) ? fmtInt(meta.records) : '—';
  el.factMonths.textContent = meta
    ? t('monthsSpan', { first: meta.months.first, last: meta.months.last, n: state.months.length })
    : '—';
  el.factVersion.textContent = meta?.data_version ?? '—';
  el.factVersion.title = meta?.data_version ?? '';
  renderGovernance();
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
    else if (e.timeout) message = t('timeoutError');
    else if (e.network) message = t('networkError', { message: e.network });
    else if (e.malformed) message = t('badResponse');
    else message = t('httpError', { status: e.status });
  } else {
    message = e?.i18n ? t(e.i18n) : e?.message || String(e);
  }
  const detail = [];
  if (e.code) detail.push(e.code);
  if (e.param) detail.push(`param=${e.param}`);
  if (e.status) detail.push(`HTTP ${e.status}`);
  if (e.url) detail.push(e.url);
  el.errorMessage.textContent = message;
  el.errorDetail.textContent = detail.join(' · ');
  el.error.hidden = false;
  document.body.dataset.error = 'true';
}

// ---------------------------------------------------------------------------
// Language

const renderBadge = userBadge($('user-badge'), () => state.lang);

function applyLang() {
  renderBadge();
  document.documentElement.lang = state.lang;
  document.title = t('docTitle');
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll('[data-i18n-aria]')) node.setAttribute('aria-label', t(node.dataset.i18nAria));
  for (const node of document.querySelectorAll('[data-i18n-title]')) node.title = t(node.dataset.i18nTitle);
  for (const btn of document.querySelectorAll('.lang-btn')) btn.setAttribute('aria-pressed', String(btn.dataset.lang === state.lang));
  renderHeader();
  renderError();
  if (!state.meta) return;
  renderStatus();
  renderKpis();
  renderTrend();
  renderRank();
  renderMapTitle();
  renderLegend();
  el.mapTip.hidden = true;
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
// Loading

let loadSeq = 0;
let refreshTimer = null;
let pending = {}; // what the loads in flight still have to fetch

/**
 * Loads what `what` names, then renders everything and waits until charts and
 * map have drawn. A newer load supersedes an older one still in flight.
 *   meta:   /meta (months, kinds) — on start and on refresh
 *   series: the trend series of every kind
 *   kpis:   the month's totals of every kind
 *   rank:   the ranking (and map) of the chosen kind and measure
 */
async function load(request) {
  const seq = ++loadSeq;
  // A newer load supersedes an older one, so it takes over what that one had
  // still to fetch: a month change followed at once by a kind change loads both.
  const what = { ...pending };
  for (const [k, v] of Object.entries(request)) if (v) what[k] = true;
  pending = what;
  document.body.classList.add('loading');
  try {
    if (what.meta) {
      const meta = validateMeta(await getJSON('meta'));
      if (seq !== loadSeq) return;
      const newMonths = monthRange(meta.months.first, meta.months.last);
      if (state.dataVersion !== null && meta.data_version !== state.dataVersion) what.series = true;
      if (!state.seriesRange || state.months.length !== newMonths.length || state.months[0] !== newMonths[0]) what.series = true;
      state.meta = meta;
      state.months = newMonths;
      state.dataVersion = meta.data_version ?? null;
      if (!state.rankKind || !kindById(state.rankKind)) state.rankKind = meta.kinds[0].id;
      const asked = state.month ? null : new URLSearchParams(window.location.search).get('month');
      if (asked && newMonths.includes(asked)) {
        // ?month=YYYY-MM: opened on a month (a drill-down keeps the month shown).
        state.month = asked;
        state.followLatest = asked === newMonths[newMonths.length - 1];
      } else if (!state.month || state.followLatest || !newMonths.includes(state.month)) {
        state.month = MONTH_RE.test(meta.months.default ?? '') && newMonths.includes(meta.months.default) ? meta.months.default : meta.months.last;
        state.followLatest = state.month === newMonths[newMonths.length - 1];
      }
      if (!document.querySelector('.kpi')) buildKpis();
      renderHeader();
    }
    const month = state.month;
    const last = state.months[state.months.length - 1];
    const from = state.months[Math.max(0, state.months.length - MAX_SERIES_MONTHS)];
    if (what.kpis) loadGovernance();
    const [kpis, series, rank] = await Promise.all([
      what.kpis ? fetchKpis(month) : null,
      what.series ? fetchSeries(from, last) : null,
      what.rank ? fetchRank(state.rankKind, month, state.measure) : null,
    ]);
    if (seq !== loadSeq) return;
    if (kpis) state.kpis = kpis;
    if (series) {
      state.series = series;
      state.seriesRange = { from, to: last };
    }
    if (rank) state.rank = rank;

    const failures = [...(kpis?.values() ?? []), ...(series?.values() ?? [])].filter((x) => x instanceof Error);
    if (failures.length > 0) showError(failures[0]);
    else clearError();

    await mapLoaded;
    if (seq !== loadSeq) return;
    const trendDone = chartDone(trendChart);
    const rankDone = chartDone(rankChart);
    renderHeader();
    renderStatus();
    renderKpis();
    renderTrend();
    renderRank();
    renderMapTitle();
    renderMap();
    await Promise.all([trendDone, rankDone, mapDone()]);
    if (seq !== loadSeq) return;

    pending = {};
    state.updatedAt = new Date();
    document.body.dataset.month = state.month;
    document.body.dataset.view = `${state.month}|${state.rankKind}|${state.measure}`;
    if (failures.length === 0 && document.body.dataset.ready !== 'true') document.body.dataset.ready = 'true';
  } catch (e) {
    if (seq !== loadSeq) return;
    pending = {};
    showError(e);
  } finally {
    if (seq === loadSeq) {
      document.body.classList.remove('loading');
      state.refreshing = false;
      renderUpdated();
    }
  }
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, REFRESH_MS);
}

let refreshes = 0;

/** Refetches everything (unchanged answers come back as cheap 304s) and redraws. */
async function refresh() {
  scheduleRefresh();
  state.refreshing = true;
  renderUpdated();
  await load({ meta: true, kpis: true, rank: true, series: true });
  refreshes += 1;
  document.body.dataset.refreshes = String(refreshes);
}

// ---------------------------------------------------------------------------
// Controls

function selectMonth(ym) {
  if (!state.months.includes(ym) || ym === state.month) {
    if (state.month) el.month.value = state.month;
    return;
  }
  state.month = ym;
  state.followLatest = ym === state.months[state.months.length - 1];
  // The address keeps a chosen month (not the latest, which refreshes move on).
  const url = new URL(window.location.href);
  if (state.followLatest) url.searchParams.delete('month');
  else url.searchParams.set('month', ym);
  window.history.replaceState(null, '', url);
  renderHeader();
  load({ kpis: true, rank: true });
}

function shiftMonth(delta) {
  const i = state.months.indexOf(state.month);
  if (i >= 0 && state.months[i + delta]) selectMonth(state.months[i + delta]);
}

function selectRankKind(kind) {
  if (!kindById(kind) || kind === state.rankKind) return;
  state.rankKind = kind;
  renderHeader();
  load({ rank: true });
}

function wireControls() {
  for (const btn of document.querySelectorAll('.lang-btn')) btn.addEventListener('click', () => setLang(btn.dataset.lang));
  el.month.addEventListener('change', () => selectMonth(el.month.value));
  el.monthPrev.addEventListener('click', () => shiftMonth(-1));
  el.monthNext.addEventListener('click', () => shiftMonth(1));
  el.refresh.addEventListener('click', () => refresh());
  el.rankKind.addEventListener('change', () => selectRankKind(el.rankKind.value));
  for (const b of document.querySelectorAll('[data-measure]')) {
    b.addEventListener('click', () => {
      if (!MEASURES.includes(b.dataset.measure) || b.dataset.measure === state.measure) return;
      state.measure = b.dataset.measure;
      renderHeader();
      load({ rank: true });
    });
  }
  for (const b of document.querySelectorAll('[data-trend]')) {
    b.addEventListener('click', () => {
      if (!TREND_MODES.includes(b.dataset.trend) || b.dataset.trend === state.trendMode) return;
      state.trendMode = b.dataset.trend;
      renderHeader();
      if (state.meta) renderTrend();
    });
  }
}

// ---------------------------------------------------------------------------
// Start-up

async function main() {
  window.shikongDashboard = { map, inset, trendChart, rankChart, state };
  applyLang();
  trendChart.showLoading('default', loadingOptions());
  rankChart.showLoading('default', loadingOptions());
  wireControls();
  // A user whose scope is one province (or prefecture) opens on it rather than the country.
  const home = scopeCode(await whoAmI());
  if (home && home !== '000000' && CODE_RE.test(home)) state.home = home;
  const parent = new URLSearchParams(window.location.search).get('parent') ?? state.home;
  if (parent) {
    if (!CODE_RE.test(parent)) {
      showError({ i18n: 'badScope' });
      return;
    }
    try {
      state.scope = await fetchScope(parent);
    } catch (e) {
      showError(e);
      return;
    }
    fitMap();
  }
  scheduleRefresh();
  await load({ meta: true, kpis: true, rank: true, series: true });
}

main();
