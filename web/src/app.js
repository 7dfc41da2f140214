// shikong web — planner map (`/`): choropleth of civil-affairs service recipients
// from the server's own vector tiles, drill-down 全国 → 省 → 市 → 县, H3 hexagons,
// facility points, month slider with playback, search, and shareable URLs.
//
// Runs fully offline: every request goes to the serving host (TileJSON and tiles
// under /tiles, JSON under /api/v1). The style has no glyphs and no sprite:
// division names are HTML markers and every other text is HTML, so no glyph
// server is needed and CJK renders with the system's fonts.
//
// Test hooks (used by tests/web/smoke.mjs):
//   window.shikongMap          the maplibre Map
//   window.shikongFirstTileMs  ms from navigation start to the first rendered division tile
//   body[data-ready="1"]       set once, after the first choropleth render
//   body[data-view="…"]        kind|month|measure|code|view|fac currently drawn (after render)
//   body[data-error="1"]       an error is shown in the panel

import { Map as MapLibreMap, Marker, NavigationControl, getVersion, prewarm } from './vendor/maplibre-gl.mjs';
import {
  SUPPRESSED_TITLE, hasRole, isSuppressed, markSuppressed, redirectToLogin, scopeCode, suppressedText, unauthorized, userBadge,
  whoAmI,
} from './common.js';

// Start MapLibre's tile worker now, not when the first source is added: its
// module loads while the map and /meta are still on their way (first tile sooner).
prewarm();

// Resolve URLs against the page rather than "/" so the app also works behind a
// reverse proxy that mounts it under a sub-path.
const API_BASE = new URL('api/v1/', document.baseURI);
const TILES_BASE = new URL('tiles/', document.baseURI);

// Layer and source ids (the fill layer is queried by the browser test).
const SRC_DIVISION = 'division';
const SRC_HEX = 'hex';
const SRC_FACILITY = 'facility';
const SRC_SELECTION = 'selection';
const LAYER_FILL = 'division-fill';
const LAYER_LINE = 'division-line';
const LAYER_HOVER = 'division-hover';
const LAYER_HEX = 'hex-fill';
const LAYER_SEL_CASING = 'selection-casing';
const LAYER_SEL_LINE = 'selection-line';
const LAYER_FAC_CLUSTER = 'facility-cluster';
const LAYER_FAC_POINT = 'facility-point';

// ColorBrewer palettes: sequential YlGnBu for counts and rates, diverging RdBu
// for month-on-month change, YlOrRd for hexagons (so the two views differ).
const PALETTE = ['#ffffcc', '#a1dab4', '#41b6c4', '#2c7fb8', '#253494'];
const NEG_PALETTE = ['#2166ac', '#67a9cf', '#d1e5f0']; // large decrease → small
const POS_PALETTE = ['#fddbc7', '#ef8a62', '#b2182b']; // small increase → large
const ZERO_COLOR = '#f7f7f7';
const HEX_PALETTE = ['#ffffb2', '#fecc5c', '#fd8d3c', '#f03b20', '#bd0026'];
const CLASS_COUNT = 5;
const NO_DATA_COLOR = '#d3d9e0';
// Divisions (and hexagons) whose small count the server suppressed for this user.
const SUPPRESSED_COLOR = '#9aa5b1';
const BACKGROUND_COLOR = '#eef2f6';
// Facility points contrast with the palette under them: orange over the blue
// choropleth, dark blue over the orange-red hexagons.
const FACILITY_COLOR = { choropleth: '#e8590c', hex: '#1c3d7a' };

// Mainland China + South China Sea; the first view before anything is selected.
const CHINA_BOUNDS = [[73, 17], [135.5, 54]];

// The division tiles carry one level per zoom (server: tiles::level_for_zoom):
// provinces z0–3, prefectures z4–6, counties from z7. MapLibre asks 512-px
// vector tiles at floor(zoom), so these zoom ranges show exactly that level.
const LEVELS = ['province', 'prefecture', 'county'];
const LEVEL_RANK = { province: 0, prefecture: 1, county: 2 };
// A county is framed no closer than z10, so its neighbours stay in view.
const LEVEL_ZOOM = { province: [2.5, 3.95], prefecture: [4, 6.95], county: [7, 10] };
const CODE_PREFIX = { province: 2, prefecture: 4, county: 6 };
const MEASURES = ['count', 'rate', 'change'];
const VIEWS = ['choropleth', 'hex'];

const MONTH_RE = /^\d{4}-(0[1-9]|1[0-2])$/;
const CODE_RE = /^\d{6}$/;
const LANG_KEY = 'shikong.lang';
const PLAY_MS = 1000;
const MAX_LABELS = 60;
const MAX_RESULTS = 12;
const CAMERA_MS = 700;

// ---------------------------------------------------------------------------
// UI strings. zh-CN is the default and the reference; en mirrors its keys.

const EN_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const STRINGS = {
  'zh-CN': {
    title: '时空 shikong — 民政服务对象时空分析',
    subtitle: '民政服务对象时空分析',
    mapLabel: '行政区划分布地图',
    panelLabel: '控制面板',
    searchLabel: '搜索行政区划',
    searchPlaceholder: '搜索区划名称或代码，如 西湖 / 330106',
    searchLoading: '正在加载区划目录…',
    searchNone: '未找到匹配的区划',
    breadcrumbLabel: '区划层级',
    country: '全国',
    share: '复制链接',
    dashboardLink: '一屏管理',
    governanceLink: '数据治理',
    coverageLink: '服务覆盖分析 ›',
    shareTitle: '复制当前视图的链接',
    shareUrl: '分享链接',
    copied: '链接已复制，可直接分享',
    copyManual: '请按 Ctrl+C 复制下方链接',
    kind: '服务对象类别',
    measure: '指标',
    measureCount: '数量',
    measureRate: '每万人',
    measureChange: '环比变化',
    view: '地图视图',
    viewChoropleth: '分级设色',
    viewHex: 'H3 六边形',
    facilities: '服务设施点',
    facilityKind: '设施类别',
    facilityAll: '全部设施',
    month: '统计月份',
    play: '播放',
    pause: '暂停',
    prevMonth: '上一月',
    nextMonth: '下一月',
    monthRange: '{first} 至 {last}',
    totalOf: '{name}合计',
    total: '全国合计',
    loading: '加载中…',
    childrenOf: '{name} · 下辖{level}',
    siblingsOf: '{name} · 同级{level}',
    rank: '排名',
    region: '区划',
    mom: '环比',
    rowHint: '点击表格行或地图区块可逐级下钻',
    downloadTable: '下载本表',
    byMonthDivisions: '按当期区划 CSV',
    byMonthDivisionsTitle: '按该月有效的行政区划列示：撤县设区等变更前的月份用当时的代码和名称',
    noRows: '本月无数据',
    changeLine: '较上月 {change}（{pct}）',
    changeLineNoPct: '较上月 {change}',
    rateLine: '每万人 {rate}',
    legendTitle: '{measure} · 分位数分级',
    legendScope: '按{scope}{level}分级',
    legendScopeCountry: '按全国{level}分级',
    hexLegendTitle: 'H3 六边形 · {measure}',
    hexLegendNote: '按视野内六边形分级',
    hexAllKinds: '设施类别无六边形统计，显示全部人员类别',
    hexCell: 'H3 六边形',
    noData: '无数据',
    suppressedLegend: '小数抑制（{lt}）',
    code: '代码',
    colon: '：',
    clusterTitle: '{count} 处设施',
    clusterHint: '点击放大展开',
    capacity: '床位/容量',
    occupied: '在住/在用',
    errorTitle: '加载失败',
    networkError: '无法连接服务器（{message}）',
    httpError: '服务器返回 HTTP {status}',
    badResponse: '服务器返回的数据格式无效',
    unknownCode: '未找到区划代码 {code}',
    engine: '地图引擎 MapLibre GL JS {version} · 离线运行，不加载外部底图',
    zoomIn: '放大',
    zoomOut: '缩小',
    levels: { province: '省级', prefecture: '地级', county: '县级' },
    levelsPlural: { province: '省份', prefecture: '地市', county: '区县' },
    measureNames: { count: '数量', rate: '每万人', change: '环比变化' },
    formatMonth: (y, m) => `${y}年${m}月`,
    units: {
      person: { count: '人数', suffix: '人' },
      household: { count: '户数', suffix: '户' },
      facility: { count: '机构数', suffix: '家' },
      organization: { count: '组织数', suffix: '个' },
      event: { count: '登记数', suffix: '对' },
    },
    unitFallback: { count: '数量', suffix: '' },
    rateSuffix: '/万人',
    numberLocale: 'zh-CN',
  },
  en: {
    title: 'shikong 时空 — Spatio-temporal analysis of civil-affairs service recipients',
    subtitle: 'Civil-affairs service recipients',
    mapLabel: 'Division map',
    panelLabel: 'Control panel',
    searchLabel: 'Search divisions',
    searchPlaceholder: 'Division name or code, e.g. 西湖 / 330106',
    searchLoading: 'Loading the division list…',
    searchNone: 'No matching division',
    breadcrumbLabel: 'Division path',
    country: 'China',
    share: 'Copy link',
    dashboardLink: 'Dashboard',
    governanceLink: 'Data governance',
    coverageLink: 'Coverage analysis ›',
    shareTitle: 'Copy a link to this view',
    shareUrl: 'Share link',
    copied: 'Link copied',
    copyManual: 'Press Ctrl+C to copy the link below',
    kind: 'Recipient category',
    measure: 'Measure',
    measureCount: 'Count',
    measureRate: 'Per 10k',
    measureChange: 'Change',
    view: 'Map view',
    viewChoropleth: 'Areas',
    viewHex: 'Hexagons',
    facilities: 'Facilities',
    facilityKind: 'Facility kind',
    facilityAll: 'All facilities',
    month: 'Month',
    play: 'Play',
    pause: 'Pause',
    prevMonth: 'Previous month',
    nextMonth: 'Next month',
    monthRange: '{first} to {last}',
    totalOf: 'Total of {name}',
    total: 'National total',
    loading: 'Loading…',
    childrenOf: '{name} · {level}',
    siblingsOf: '{name} · {level} alongside',
    rank: '#',
    region: 'Division',
    mom: 'MoM',
    rowHint: 'Click a row or an area on the map to drill down',
    downloadTable: 'Download this table',
    byMonthDivisions: 'CSV by the divisions of the month',
    byMonthDivisionsTitle: 'Rows are the divisions in force in the month: before a change (e.g. county to district) their codes and names of then',
    noRows: 'No data for this month',
    changeLine: '{change} ({pct}) from last month',
    changeLineNoPct: '{change} from last month',
    rateLine: '{rate} per 10k residents',
    legendTitle: '{measure} · quantiles',
    legendScope: 'Classes over {level} of {scope}',
    legendScopeCountry: 'Classes over all {level}',
    hexLegendTitle: 'H3 hexagons · {measure}',
    hexLegendNote: 'Classes over the hexagons in view',
    hexAllKinds: 'No hexagons for facility kinds: all person kinds shown',
    hexCell: 'H3 hexagon',
    noData: 'No data',
    suppressedLegend: 'Suppressed small count ({lt})',
    code: 'Code',
    colon: ': ',
    clusterTitle: '{count} facilities',
    clusterHint: 'Click to zoom in',
    capacity: 'Capacity',
    occupied: 'Occupied',
    errorTitle: 'Failed to load',
    networkError: 'Cannot reach the server ({message})',
    httpError: 'Server returned HTTP {status}',
    badResponse: 'The server returned malformed data',
    unknownCode: 'No division with code {code}',
    engine: 'Map engine MapLibre GL JS {version} · offline, no external base map',
    zoomIn: 'Zoom in',
    zoomOut: 'Zoom out',
    levels: { province: 'Province', prefecture: 'Prefecture', county: 'County' },
    levelsPlural: { province: 'provinces', prefecture: 'prefectures', county: 'counties' },
    measureNames: { count: 'Count', rate: 'Per 10k residents', change: 'MoM change' },
    formatMonth: (y, m) => `${EN_MONTHS[m - 1]} ${y}`,
    units: {
      person: { count: 'Persons', suffix: 'persons' },
      household: { count: 'Households', suffix: 'households' },
      facility: { count: 'Facilities', suffix: 'facilities' },
      organization: { count: 'Organizations', suffix: 'organizations' },
      event: { count: 'Registrations', suffix: 'registrations' },
    },
    unitFallback: { count: 'Count', suffix: '' },
    rateSuffix: '/10k',
    numberLocale: 'en-US',
  },
};

// ---------------------------------------------------------------------------
// State

const state = {
  lang: initialLang(),
  meta: null, // GET /meta body
  months: [], // every month with data, "YYYY-MM", ascending
  kind: null,
  measure: 'count',
  month: null,
  view: 'choropleth',
  fac: null, // null = no facility overlay; 'all' or a facility kind id
  code: null, // selected division, null = the whole country
  detail: null, // GET /divisions/{code} of the selection
  panel: null, // { stats, level, parent, focus } shown in the side table
  classes: [], // division classes currently painted
  classesInfo: null, // { key, level, parent, noData }
  hexClasses: [],
  hexSuppressed: false, // a hexagon in view has its count suppressed
  error: null,
  playing: false,
};

const $ = (id) => document.getElementById(id);
const el = {
  search: $('search'),
  searchResults: $('search-results'),
  crumbs: $('crumbs'),
  share: $('share'),
  shareStatus: $('share-status'),
  shareUrl: $('share-url'),
  kindList: $('kind-list'),
  measure: $('measure'),
  view: $('view'),
  facToggle: $('fac-toggle'),
  facKind: $('fac-kind'),
  monthLabel: $('month-label'),
  monthRange: $('month-range'),
  slider: $('month-slider'),
  play: $('play'),
  monthPrev: $('month-prev'),
  monthNext: $('month-next'),
  summaryTitle: $('summary-title'),
  total: $('total'),
  totalUnit: $('total-unit'),
  totalChange: $('total-change'),
  totalCaption: $('total-caption'),
  childrenTitle: $('children-title'),
  dlTable: $('dl-table'),
  dlTableMonth: $('dl-table-month'),
  valueHead: $('value-head'),
  children: $('children'),
  hoverCard: $('hover-card'),
  legend: $('legend'),
  legendTitle: $('legend-title'),
  legendItems: $('legend-items'),
  legendNote: $('legend-note'),
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

function fmtNumber(n, digits = 0) {
  return new Intl.NumberFormat(S().numberLocale, { maximumFractionDigits: digits }).format(n);
}

function fmtSigned(n, digits = 0) {
  return new Intl.NumberFormat(S().numberLocale, { maximumFractionDigits: digits, signDisplay: 'exceptZero' }).format(n);
}

function fmtPct(p) {
  return `${fmtSigned(p, Math.abs(p) < 1 ? 2 : 1)}%`;
}

function fmtMonth(ym) {
  if (!MONTH_RE.test(ym ?? '')) return ym ?? '';
  const [y, m] = ym.split('-').map(Number);
  return S().formatMonth(y, m);
}

/** A value of the current measure, formatted with its unit. */
function fmtMeasure(v, measure = state.measure) {
  if (!Number.isFinite(v)) return t('noData');
  if (measure === 'rate') return `${fmtNumber(v, 2)}${S().rateSuffix}`;
  if (measure === 'change') return fmtSigned(v);
  return fmtNumber(v);
}

function fmtMeasureBare(v, measure = state.measure) {
  if (!Number.isFinite(v)) return '—';
  if (measure === 'rate') return fmtNumber(v, 2);
  if (measure === 'change') return fmtSigned(v);
  return fmtNumber(v);
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

function measureLabel(measure = state.measure) {
  return measure === 'count' ? unitStrings().count : S().measureNames[measure];
}

function isFacilityKind(id) {
  return state.meta?.kinds.find((k) => k.id === id)?.unit === 'facility';
}

/** The value of `measure` in a /stats row (null when the row lacks it). */
function rowValue(row, measure = state.measure) {
  const v = measure === 'rate' ? row?.rate_per_10k : measure === 'change' ? row?.change : row?.count;
  return Number.isFinite(v) ? v : null;
}

function levelForZoom(zoom) {
  const z = Math.floor(zoom);
  return z <= 3 ? 'province' : z <= 6 ? 'prefecture' : 'county';
}

/** A short map label: provinces drop their administrative suffix (浙江省 → 浙江). */
function shortName(name, level) {
  if (level !== 'province' || !name) return name;
  const special = name.match(/^(内蒙古|广西|西藏|宁夏|新疆|香港|澳门)/);
  if (special) return special[1];
  return name.replace(/(省|市)$/, '');
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

function apiUrl(path, params = {}) {
  const url = new URL(path, API_BASE);
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) url.searchParams.set(k, v);
  return url;
}

/** GET a JSON document from the shikong API; throws ApiError on any failure. */
async function getJSON(path, params = {}, signal) {
  const url = apiUrl(path, params);
  const shown = url.pathname + url.search;

  let res;
  try {
    res = await fetch(url, { headers: { Accept: 'application/json' }, signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError({ url: shown, network: e.message });
  }
  // No (or an expired) session: off to the sign-in page, which comes back here.
  if (res.status === 401) throw unauthorized(shown);

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

function malformed(path) {
  return new ApiError({ url: `${API_BASE.pathname}${path}`, status: 200, malformed: true });
}

/** Memoise a promise-returning loader by key; failures are not kept. */
function memo(cache, key, load) {
  let p = cache.get(key);
  if (!p) {
    p = load();
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

const statsCache = new Map();
const rowIndex = new Map(); // "kind|month|code" -> stats row, from every answer seen

/** GET /stats for one level (under a parent), validated and cached. */
function fetchStats({ level, parent = null, kind = state.kind, month = state.month }) {
  const key = `${kind}|${month}|${level}|${parent ?? ''}`;
  return memo(statsCache, key, async () => {
    const body = await getJSON('stats', { level, parent, kind, month });
    if (!Array.isArray(body.rows) || !body.rows.every((r) => r && CODE_RE.test(String(r.code)))) {
      throw malformed('stats');
    }
    for (const r of body.rows) rowIndex.set(`${kind}|${month}|${r.code}`, r);
    return body;
  });
}

const divisionCache = new Map();

function fetchDivision(code) {
  return memo(divisionCache, code, async () => {
    const d = await getJSON(`divisions/${encodeURIComponent(code)}`);
    const ok =
      CODE_RE.test(String(d.code)) &&
      LEVELS.includes(d.level) &&
      Array.isArray(d.lineage) &&
      Array.isArray(d.children) &&
      Array.isArray(d.bbox) &&
      d.bbox.length === 4 &&
      d.bbox.every(Number.isFinite);
    if (!ok) throw malformed(`divisions/${code}`);
    d.code = String(d.code);
    d.lineage = d.lineage.filter(Boolean).map((x) => ({ ...x, code: String(x.code) }));
    d.children = d.children.filter(Boolean).map((x) => ({ ...x, code: String(x.code) }));
    return d;
  });
}

const listCache = new Map();

/** Every division of a level (code, name, parent, centroid, bbox, area). */
function divisionList(level) {
  return memo(listCache, level, async () => {
    const body = await getJSON('divisions', { level });
    if (!Array.isArray(body.divisions)) throw malformed('divisions');
    return body.divisions
      .filter((d) => d && CODE_RE.test(String(d.code)) && typeof d.name === 'string')
      .map((d) => ({ ...d, code: String(d.code), parent: d.parent == null ? null : String(d.parent), level: d.level ?? level }));
  });
}

function tileJsonUrl(set, params) {
  const url = new URL(`${set}.json`, TILES_BASE);
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) url.searchParams.set(k, v);
  return url.href;
}

function divisionTilesUrl() {
  return tileJsonUrl(SRC_DIVISION, { kind: state.kind, month: state.month, measure: state.measure });
}

/** Hexagons hold persons-like kinds only; facility kinds fall back to every person kind. */
function hexKind() {
  return isFacilityKind(state.kind) ? null : state.kind;
}

/** What a hexagon counts: the kind's unit, or persons when it falls back to every person kind. */
function hexUnit() {
  return hexKind() ? unitStrings().count : S().units.person.count;
}

function hexTilesUrl() {
  return tileJsonUrl(SRC_HEX, { kind: hexKind(), month: state.month });
}

function lastDayOf(ym) {
  const [y, m] = ym.split('-').map(Number);
  const d = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return `${ym}-${String(d).padStart(2, '0')}`;
}

function facilityTilesUrl() {
  return tileJsonUrl(SRC_FACILITY, { kind: state.fac && state.fac !== 'all' ? state.fac : null, date: lastDayOf(state.month) });
}

// ---------------------------------------------------------------------------
// Map

/** Padding that keeps fitted content clear of the floating panel and legend. */
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

// Ask for /meta at once: the map is built when it is in, with the division
// tiles of its kind and month already in the style, so the first tile request
// leaves with the style rather than a round of events later.
const metaRequest = getJSON('meta');
metaRequest.catch(() => {}); // handled in main()

/** The maplibre Map, built by createMap() once /meta is known. */
let map = null;

const EMPTY_FC = { type: 'FeatureCollection', features: [] };

/** The style: no glyphs/sprite, only our own TileJSON, tiles and GeoJSON. */
function baseStyle() {
  return {
    version: 8,
    name: 'shikong-offline',
    sources: {
      [SRC_DIVISION]: { type: 'vector', url: divisionTilesUrl(), promoteId: 'code' },
      [SRC_SELECTION]: { type: 'geojson', data: EMPTY_FC },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': BACKGROUND_COLOR } },
      {
        id: LAYER_FILL,
        type: 'fill',
        source: SRC_DIVISION,
        'source-layer': SRC_DIVISION,
        paint: { 'fill-color': NO_DATA_COLOR, 'fill-opacity': fillOpacity() },
      },
      {
        id: LAYER_LINE,
        type: 'line',
        source: SRC_DIVISION,
        'source-layer': SRC_DIVISION,
        paint: {
          'line-color': '#ffffff',
          'line-width': ['interpolate', ['linear'], ['zoom'], 3, 0.6, 10, 1.6],
        },
      },
      {
        id: LAYER_HOVER,
        type: 'line',
        source: SRC_DIVISION,
        'source-layer': SRC_DIVISION,
        paint: {
          'line-color': '#102a43',
          'line-width': 2,
          'line-opacity': ['case', ['boolean', ['feature-state', 'hover'], false], 1, 0],
        },
      },
      {
        id: LAYER_SEL_CASING,
        type: 'line',
        source: SRC_SELECTION,
        layout: { 'line-join': 'round' },
        paint: { 'line-color': '#ffffff', 'line-width': 6, 'line-opacity': 0.9 },
      },
      {
        id: LAYER_SEL_LINE,
        type: 'line',
        source: SRC_SELECTION,
        layout: { 'line-join': 'round' },
        paint: { 'line-color': '#0b1b33', 'line-width': 2.6 },
      },
    ],
  };
}

/** Build the map; resolves once its style is loaded (layers may then change). */
function createMap() {
  map = new MapLibreMap({
    container: 'map',
    style: baseStyle(),
    bounds: CHINA_BOUNDS,
    fitBoundsOptions: { padding: mapPadding(), maxZoom: LEVEL_ZOOM.province[1] },
    // The default attribution control links to maplibre.org; the engine is
    // credited in the footer instead, without an external link.
    attributionControl: false,
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
    renderWorldCopies: false,
    minZoom: 2,
    maxZoom: 14,
    locale: {
      'NavigationControl.ZoomIn': STRINGS['zh-CN'].zoomIn,
      'NavigationControl.ZoomOut': STRINGS['zh-CN'].zoomOut,
    },
  });
  map.touchZoomRotate.disableRotation();
  map.addControl(new NavigationControl({ showCompass: false }), 'top-right');
  window.shikongMap = map;

  map.on('sourcedata', onFirstTile);
  map.once('idle', revealMap); // e.g. no tile at all in view
  map.on('error', onMapError);
  map.on('mousemove', onMouseMove);
  map.on('mouseout', hideHover);
  map.on('movestart', hideHover); // the card would describe what is no longer under the cursor
  map.on('click', onClick);
  map.on('moveend', () => {
    scheduleLabels();
    refreshBreaks().catch((e) => e?.name !== 'AbortError' && showError(e));
  });
  map.on('idle', refreshHexBreaks);
  map.on('resize', scheduleLabels);

  return new Promise((resolve) => {
    if (map.isStyleLoaded()) resolve();
    else map.once('style.load', resolve);
  });
}

// The canvas stays hidden (CSS .is-loading) until the first division tile is
// there: without a GPU the browser composites a visible WebGL canvas in
// software, several hundred ms a frame, and the frames before the first tile
// would only show the empty background (the page's own background colour).
function revealMap() {
  map.getContainer().classList.remove('is-loading');
}

// First division tile on screen, for the performance check.
function onFirstTile(e) {
  if (e.sourceId !== SRC_DIVISION || !e.tile) return;
  map.off('sourcedata', onFirstTile);
  revealMap();
  map.once('render', () => {
    window.shikongFirstTileMs = Math.round(performance.now());
  });
  map.triggerRepaint();
}

// Tile and TileJSON failures arrive here (and, with a listener, are not
// printed to the console by MapLibre).
function onMapError(e) {
  revealMap();
  const err = e.error;
  if (!err || err.name === 'AbortError') return;
  if (err.status === 401) {
    redirectToLogin(); // a tile or TileJSON request without a valid session
    return;
  }
  let url = err.url;
  try {
    if (url) url = new URL(url).pathname + new URL(url).search;
  } catch {
    // keep as is
  }
  showError(new ApiError({ url: url || e.sourceId, status: err.status, network: err.status ? undefined : err.message }));
}

function ensureHexLayers() {
  if (map.getSource(SRC_HEX)) return;
  map.addSource(SRC_HEX, { type: 'vector', url: hexTilesUrl(), promoteId: 'h3' });
  map.addLayer(
    {
      id: LAYER_HEX,
      type: 'fill',
      source: SRC_HEX,
      'source-layer': SRC_HEX,
      layout: { visibility: 'none' },
      paint: {
        // Until the classes of the hexagons in view are known.
        'fill-color': withSuppressed(['interpolate', ['linear'], ['ln', ['+', 1, ['to-number', ['get', 'count'], 0]]], 0, HEX_PALETTE[0], 9, HEX_PALETTE[4]]),
        'fill-opacity': 0.85,
        'fill-outline-color': 'rgba(255,255,255,0.55)',
      },
    },
    LAYER_LINE, // division boundaries stay on top for orientation
  );
}

function ensureFacilityLayers() {
  if (map.getSource(SRC_FACILITY)) return;
  map.addSource(SRC_FACILITY, { type: 'vector', url: facilityTilesUrl() });
  // Below z10 the tiles hold clusters (count, capacity); from z10 single
  // facilities (name, kind, capacity, occupied).
  map.addLayer({
    id: LAYER_FAC_CLUSTER,
    type: 'circle',
    source: SRC_FACILITY,
    'source-layer': SRC_FACILITY,
    filter: ['!', ['has', 'name']],
    layout: { visibility: 'none' },
    paint: {
      'circle-color': FACILITY_COLOR[state.view],
      'circle-opacity': 0.8,
      'circle-stroke-color': '#ffffff',
      'circle-stroke-width': 1.2,
      'circle-radius': ['interpolate', ['linear'], ['sqrt', ['get', 'count']], 1, 3.5, 5, 9, 15, 18, 40, 28],
    },
  });
  map.addLayer({
    id: LAYER_FAC_POINT,
    type: 'circle',
    source: SRC_FACILITY,
    'source-layer': SRC_FACILITY,
    filter: ['has', 'name'],
    layout: { visibility: 'none' },
    paint: {
      'circle-color': FACILITY_COLOR[state.view],
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 4.5, 14, 7],
      'circle-stroke-color': '#ffffff',
      'circle-stroke-width': 1.5,
    },
  });
}

const sourceUrls = new Map();

/** Point each vector source at the TileJSON of the current selection. */
function updateSources() {
  const wanted = [
    [SRC_DIVISION, divisionTilesUrl()],
    [SRC_HEX, hexTilesUrl()],
    [SRC_FACILITY, facilityTilesUrl()],
  ];
  for (const [id, url] of wanted) {
    const source = map.getSource(id);
    if (!source) continue;
    if ((sourceUrls.get(id) ?? source.url) !== url) {
      source.setUrl(url);
      sourceUrls.set(id, url);
      if (id === SRC_HEX) state.hexClasses = [];
    }
  }
}

/** Divisions inside the selection stay vivid; the rest fade (codes nest by prefix). */
function focusCode() {
  const d = state.detail;
  if (!d) return null;
  // A county has no children: its siblings (the table) stay vivid with it.
  if (d.children.length === 0 && d.parent) return { code: String(d.parent), n: CODE_PREFIX[parentLevel(d)] ?? 4 };
  return { code: d.code, n: CODE_PREFIX[d.level] };
}

/** The level listed in the panel and shown on the map under `d` (null for a county). */
function childLevelOf(d) {
  if (d.children.length === 0) return null;
  const level = LEVELS.includes(d.children[0].level) ? d.children[0].level : LEVELS[Math.min(2, LEVEL_RANK[d.level] + 1)];
  // 北京市 (province) has one child, 北京市 (prefecture): show its districts straight away.
  if (d.children.length === 1 && LEVEL_RANK[level] < 2) return LEVELS[LEVEL_RANK[level] + 1];
  return level;
}

function parentLevel(d) {
  const p = d.lineage.find((x) => x.code === String(d.parent));
  return p?.level ?? 'prefecture';
}

function fillOpacity() {
  if (state.view === 'hex') return 0; // still queried for hover and drill-down
  const focus = focusCode();
  if (!focus) return 0.92;
  const featureLen = ['match', ['get', 'level'], 'province', 2, 'prefecture', 4, 6];
  const n = ['min', featureLen, focus.n];
  const code = ['to-string', ['get', 'code']];
  return ['case', ['==', ['slice', code, 0, n], ['slice', focus.code, 0, n]], 0.92, 0.38];
}

function applyView() {
  if (!map?.getLayer(LAYER_FILL)) return; // applied once the map has loaded
  const hex = state.view === 'hex';
  if (hex) ensureHexLayers();
  if (map.getLayer(LAYER_HEX)) map.setLayoutProperty(LAYER_HEX, 'visibility', hex ? 'visible' : 'none');
  map.setPaintProperty(LAYER_FILL, 'fill-opacity', fillOpacity());
  map.setPaintProperty(LAYER_LINE, 'line-color', hex ? '#52606d' : '#ffffff');
  map.setPaintProperty(LAYER_LINE, 'line-opacity', hex ? 0.55 : 1);
  if (state.fac) ensureFacilityLayers();
  for (const id of [LAYER_FAC_CLUSTER, LAYER_FAC_POINT]) {
    if (!map.getLayer(id)) continue;
    map.setLayoutProperty(id, 'visibility', state.fac ? 'visible' : 'none');
    map.setPaintProperty(id, 'circle-color', FACILITY_COLOR[state.view]);
  }
  updateSources();
  renderLegend();
}

// ---------------------------------------------------------------------------
// Classes (quantile breaks) and colours

/**
 * Quantile classes over `values` (finite numbers) coloured from `palette`.
 *
 * Returns one entry per non-empty class: `lo` is the class's lower bound as
 * used by the step expression, `min`/`max` the actual extremes in the data
 * (what the legend shows). Tied values can make quantile breaks coincide; such
 * duplicate breaks are dropped, so fewer than `k` classes may come back.
 */
function quantileClasses(values, k, palette) {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return [];
  let lows = quantileLows(v, k);
  // Heavily tied data (e.g. most hexagons holding 1 or 2 persons) collapses the
  // quantiles into one or two classes: class the distinct values instead.
  if (lows.length < Math.min(3, k)) {
    const distinct = [...new Set(v)];
    if (distinct.length > lows.length) lows = quantileLows(distinct, k);
  }
  const colors = spread(palette, lows.length);
  return lows.map((lo, i) => {
    const next = lows[i + 1];
    const members = v.filter((x) => x >= lo && (next === undefined || x < next));
    return { lo, min: members[0], max: members[members.length - 1], n: members.length, color: colors[i] };
  });
}

/** Lower bounds of the `k` quantile classes of sorted `v`, duplicates dropped. */
function quantileLows(v, k) {
  const lows = [v[0]];
  for (let i = 1; i < k; i++) {
    const b = v[Math.floor((i * v.length) / k)];
    if (b > lows[lows.length - 1]) lows.push(b);
  }
  return lows;
}

/** Pick `m` colours spread over `palette` (keeps contrast when m is small). */
function spread(palette, m) {
  if (m >= palette.length) return palette.slice(0, m);
  if (m === 1) return [palette[Math.floor(palette.length / 2)]];
  return Array.from({ length: m }, (_, i) => palette[Math.round((i * (palette.length - 1)) / (m - 1))]);
}

/** Month-on-month change: decreases and increases get their own quantiles around 0. */
function changeClasses(values) {
  const neg = values.filter((x) => x < 0);
  const pos = values.filter((x) => x > 0);
  const zeros = values.filter((x) => x === 0);
  const negClasses = quantileClasses(neg, 3, NEG_PALETTE);
  // quantileClasses picks light→dark from the palette's start; decreases go dark→light.
  const negColors = spread(NEG_PALETTE, negClasses.length);
  negClasses.forEach((c, i) => (c.color = negColors[i]));
  const classes = [...negClasses];
  if (zeros.length) classes.push({ lo: 0, min: 0, max: 0, n: zeros.length, color: ZERO_COLOR });
  const posClasses = quantileClasses(pos, 3, POS_PALETTE);
  // Without a zero class, 0 (e.g. outside the classed area) falls in the first increase.
  if (posClasses.length && !zeros.length) posClasses[0].lo = 0;
  if (posClasses.length && zeros.length) posClasses[0].lo = Math.min(posClasses[0].lo, 1e-9);
  classes.push(...posClasses);
  return classes;
}

function classesFor(values, measure) {
  return measure === 'change' ? changeClasses(values) : quantileClasses(values, CLASS_COUNT, PALETTE);
}

function stepExpression(input, classes, fallback) {
  if (classes.length === 0) return fallback;
  if (classes.length === 1) return classes[0].color;
  const expr = ['step', input, classes[0].color];
  for (const c of classes.slice(1)) expr.push(c.lo, c.color);
  return expr;
}

function fillColorExpression(classes) {
  const value = ['to-number', ['get', 'value'], 0];
  return ['case', ['has', 'value'], stepExpression(value, classes, NO_DATA_COLOR), SUPPRESSED_FEATURE, SUPPRESSED_COLOR, NO_DATA_COLOR];
}

/** A tile feature the server marked `suppressed=true` (its value left out). */
const SUPPRESSED_FEATURE = ['any', ['==', ['get', 'suppressed'], true], ['==', ['get', 'suppressed'], 'true']];

/** `color`, except for suppressed features. */
function withSuppressed(color) {
  return ['case', SUPPRESSED_FEATURE, SUPPRESSED_COLOR, color];
}

// ---------------------------------------------------------------------------
// Selection scope: which level is on screen, and which division classes it

function shownLevel(zoom = map.getZoom()) {
  return levelForZoom(zoom);
}

/** The deepest division of the selection's lineage above `level` (null = country). */
function scopeFor(level) {
  let scope = null;
  for (const d of state.detail?.lineage ?? []) {
    if (LEVEL_RANK[d.level] < LEVEL_RANK[level]) scope = d;
  }
  return scope;
}

let breaksSeq = 0;

/** Class breaks for the level shown (at `zoom`), from /stats of that level in scope. */
async function refreshBreaks(zoom) {
  if (!map?.getLayer(LAYER_FILL)) return; // added once the map has loaded
  const level = shownLevel(zoom ?? map.getZoom());
  const scope = scopeFor(level);
  const key = [state.kind, state.month, state.measure, level, scope?.code ?? ''].join('|');
  if (state.classesInfo?.key === key) return;
  const seq = ++breaksSeq;
  const stats = await fetchStats({ level, parent: scope?.code ?? null });
  if (seq !== breaksSeq) return;
  const values = [];
  let noData = false;
  let suppressed = false;
  for (const r of stats.rows) {
    const v = rowValue(r);
    if (v !== null) values.push(v);
    else if (isSuppressed(r)) suppressed = true;
    else noData = true;
  }
  state.classes = classesFor(values, state.measure);
  state.classesInfo = { key, level, scope, noData, suppressed };
  map.setPaintProperty(LAYER_FILL, 'fill-color', fillColorExpression(state.classes));
  renderLegend();
}

/** Classes of the hexagons on screen, recomputed when the map settles. */
function refreshHexBreaks() {
  if (state.view !== 'hex' || !map.getLayer(LAYER_HEX)) return;
  const features = map.queryRenderedFeatures({ layers: [LAYER_HEX] });
  const suppressed = features.some((f) => isSuppressed(f.properties));
  if (suppressed !== state.hexSuppressed) {
    state.hexSuppressed = suppressed;
    renderLegend();
  }
  const counts = features.map((f) => Number(f.properties?.count)).filter(Number.isFinite);
  if (counts.length === 0) return;
  const classes = quantileClasses(counts, CLASS_COUNT, HEX_PALETTE);
  const same =
    classes.length === state.hexClasses.length &&
    classes.every((c, i) => c.lo === state.hexClasses[i].lo && c.max === state.hexClasses[i].max);
  if (same) return;
  state.hexClasses = classes;
  const value = ['to-number', ['get', 'count'], 0];
  map.setPaintProperty(LAYER_HEX, 'fill-color', withSuppressed(stepExpression(value, classes, HEX_PALETTE[0])));
  renderLegend();
}

// ---------------------------------------------------------------------------
// Side panel: summary and the table of children (or siblings of a county)

let panelSeq = 0;

async function refreshPanel() {
  const d = state.detail;
  let level;
  let parent = null;
  let focus = null;
  if (!d) {
    level = 'province';
  } else if (d.children.length > 0) {
    level = childLevelOf(d);
    parent = d.code;
  } else {
    level = d.level;
    parent = d.parent == null ? null : String(d.parent);
    focus = d.code;
  }
  const seq = ++panelSeq;
  document.body.classList.add('loading');
  el.totalCaption.textContent = t('loading');
  try {
    const stats = await fetchStats({ level, parent });
    if (seq !== panelSeq) return;
    state.panel = { stats, level, parent, focus };
  } catch (e) {
    if (seq !== panelSeq) return;
    state.panel = null; // never leave the previous month's figures under the new label
    throw e;
  } finally {
    if (seq === panelSeq) {
      document.body.classList.remove('loading');
      renderSummary();
      renderTable();
    }
  }
}

function renderSummary() {
  const u = unitStrings();
  const d = state.detail;
  const name = d ? d.name : null;
  el.summaryTitle.textContent = name ? t('totalOf', { name }) : t('total');
  el.valueHead.textContent = measureLabel();
  const p = state.panel;
  if (!p) {
    el.total.textContent = '—';
    markSuppressed(el.total, false);
    el.totalUnit.textContent = '';
    el.totalChange.textContent = '';
    el.totalCaption.textContent = state.kind ? `${kindName(currentKind())} · ${fmtMonth(state.month)}` : t('loading');
    return;
  }
  let count;
  let previous;
  let pct = null;
  let rate = null;
  let suppressed = false;
  if (p.focus) {
    const row = p.stats.rows.find((r) => String(r.code) === p.focus);
    suppressed = isSuppressed(row);
    count = row?.count;
    previous = row?.previous;
    pct = row?.change_pct ?? null;
    rate = row?.rate_per_10k ?? null;
  } else {
    count = p.stats.total;
    suppressed = isSuppressed(p.stats);
    previous = p.stats.total_previous;
    if (Number.isFinite(count) && previous > 0) pct = (100 * (count - previous)) / previous;
    let pop = 0;
    let counted = 0;
    for (const r of p.stats.rows) {
      if (r.population > 0 && Number.isFinite(r.count)) {
        pop += r.population;
        counted += r.count;
      }
    }
    if (pop > 0) rate = (counted * 10000) / pop;
  }
  const hidden = !Number.isFinite(count) && suppressed;
  el.total.textContent = Number.isFinite(count) ? fmtNumber(count) : hidden ? suppressedText() : '—';
  markSuppressed(el.total, hidden);
  el.total.dataset.kind = p.stats.kind ?? state.kind;
  el.total.dataset.month = p.stats.month ?? state.month;
  el.totalUnit.textContent = u.suffix;
  const parts = [];
  if (Number.isFinite(count) && Number.isFinite(previous)) {
    const change = fmtSigned(count - previous);
    parts.push(pct === null ? t('changeLineNoPct', { change }) : t('changeLine', { change, pct: fmtPct(pct) }));
  }
  el.totalChange.textContent = parts.join(' · ');
  el.totalChange.classList.toggle('up', Number.isFinite(count) && count > previous);
  el.totalChange.classList.toggle('down', Number.isFinite(count) && count < previous);
  const caption = [kindName(currentKind()), fmtMonth(p.stats.month ?? state.month)];
  if (Number.isFinite(rate)) caption.push(t('rateLine', { rate: fmtNumber(rate, 2) }));
  el.totalCaption.textContent = caption.join(' · ');
}

function renderTable() {
  const p = state.panel;
  const d = state.detail;
  const levelName = p ? S().levelsPlural[p.level] : '…';
  if (!d) el.childrenTitle.textContent = t('childrenOf', { name: t('country'), level: levelName });
  else if (p?.focus) {
    const parent = d.lineage.find((x) => x.code === p.parent);
    el.childrenTitle.textContent = t('siblingsOf', { name: parent?.name ?? t('country'), level: levelName });
  } else el.childrenTitle.textContent = t('childrenOf', { name: d.name, level: levelName });

  if (p) {
    // The same table as CSV: by today's divisions, or by those in force in the month.
    const query = { level: p.level, parent: p.parent, kind: state.kind, month: p.stats.month ?? state.month, format: 'csv' };
    const href = (extra) => {
      const u = apiUrl('stats', { ...query, ...extra });
      return u.pathname + u.search;
    };
    el.dlTable.href = href({});
    el.dlTableMonth.href = href({ boundaries: 'month' });
  }

  const rows = [...(p?.stats.rows ?? [])].sort((a, b) => {
    const va = rowValue(a);
    const vb = rowValue(b);
    if (va === null || vb === null) return (va === null) - (vb === null);
    return vb - va || String(a.code).localeCompare(String(b.code));
  });
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = 4;
    td.className = 'empty';
    td.textContent = p ? t('noRows') : '—';
    tr.append(td);
    el.children.replaceChildren(tr);
    return;
  }
  el.children.replaceChildren(
    ...rows.map((r, i) => {
      const tr = document.createElement('tr');
      const code = String(r.code);
      tr.dataset.code = code;
      tr.tabIndex = 0;
      if (code === p.focus) tr.classList.add('current');
      const rank = cell(String(i + 1), 'num rank');
      const name = cell(r.name ?? code, 'name');
      const value = cell(fmtMeasureBare(rowValue(r)), 'num');
      const mom = cell('—', 'num mom');
      if (rowValue(r) === null && isSuppressed(r)) {
        // A count the server withholds from this user: "*", not "—" or 0.
        value.textContent = suppressedText();
        markSuppressed(value);
        mom.title = SUPPRESSED_TITLE;
      }
      if (Number.isFinite(r.change_pct)) {
        mom.textContent = fmtPct(r.change_pct);
        mom.classList.add(r.change_pct > 0 ? 'up' : r.change_pct < 0 ? 'down' : 'flat');
      } else if (Number.isFinite(r.change) && r.change !== 0) {
        mom.textContent = fmtSigned(r.change);
      }
      if (Number.isFinite(r.change)) mom.title = fmtSigned(r.change);
      tr.append(rank, name, value, mom);
      tr.addEventListener('click', () => selectDivision(code));
      tr.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          selectDivision(code);
        }
      });
      tr.addEventListener('mouseenter', () => setHover(code));
      tr.addEventListener('mouseleave', () => setHover(null));
      return tr;
    }),
  );
}

function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

// ---------------------------------------------------------------------------
// Legend

function legendItem(color, label) {
  const li = document.createElement('li');
  const sw = document.createElement('span');
  sw.className = 'legend-swatch';
  sw.style.background = color; // CSSOM, allowed by a strict style-src CSP
  const text = document.createElement('span');
  text.textContent = label;
  li.append(sw, text);
  return li;
}

function suppressedLegendItem() {
  const li = legendItem(SUPPRESSED_COLOR, t('suppressedLegend', { lt: suppressedText() }));
  li.title = SUPPRESSED_TITLE;
  li.classList.add('suppressed');
  return li;
}

function classLabel(c, measure) {
  return c.min === c.max ? fmtMeasureBare(c.min, measure) : `${fmtMeasureBare(c.min, measure)} – ${fmtMeasureBare(c.max, measure)}`;
}

function renderLegend() {
  if (state.view === 'hex') {
    const classes = state.hexClasses;
    el.legend.hidden = !state.kind;
    el.legendTitle.textContent = t('hexLegendTitle', { measure: hexUnit() });
    const hexItems = classes.map((c) => legendItem(c.color, classLabel(c, 'count')));
    if (state.hexSuppressed) hexItems.push(suppressedLegendItem());
    el.legendItems.replaceChildren(...hexItems);
    const notes = [t('hexLegendNote')];
    if (isFacilityKind(state.kind)) notes.push(t('hexAllKinds'));
    el.legendNote.textContent = notes.join(' · ');
    el.legendNote.hidden = false;
    return;
  }
  const info = state.classesInfo;
  if (!info) {
    el.legend.hidden = true;
    return;
  }
  el.legend.hidden = false;
  el.legendTitle.textContent = t('legendTitle', { measure: measureLabel() });
  const items = state.classes.map((c) => legendItem(c.color, classLabel(c, state.measure)));
  if (info.suppressed) items.push(suppressedLegendItem());
  if (info.noData) items.push(legendItem(NO_DATA_COLOR, t('noData')));
  el.legendItems.replaceChildren(...items);
  const level = S().levelsPlural[info.level];
  el.legendNote.textContent = info.scope ? t('legendScope', { scope: info.scope.name, level }) : t('legendScopeCountry', { level });
  el.legendNote.hidden = false;
}

// ---------------------------------------------------------------------------
// Breadcrumb 全国 › 省 › 市 › 县

function renderBreadcrumb() {
  const items = [{ code: null, name: t('country') }, ...(state.detail?.lineage ?? [])];
  el.crumbs.replaceChildren(
    ...items.map((item, i) => {
      const li = document.createElement('li');
      const last = i === items.length - 1;
      if (last) {
        const span = document.createElement('span');
        span.className = 'crumb current';
        span.setAttribute('aria-current', 'page');
        span.textContent = item.name;
        if (item.code) span.dataset.code = item.code;
        li.append(span);
      } else {
        const btn = document.createElement('button');
        btn.type = 'button';
        btn.className = 'crumb';
        btn.textContent = item.name;
        btn.dataset.code = item.code ?? '';
        btn.addEventListener('click', () => selectDivision(item.code));
        li.append(btn);
      }
      return li;
    }),
  );
  // A county-level unit links to its coverage page (exact figures: caseworkers and up).
  if (state.detail?.is_leaf && state.detail.code && hasRole('caseworker')) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.className = 'crumb-link';
    a.id = 'county-link';
    a.href = `/county/${encodeURIComponent(state.detail.code)}`;
    a.textContent = t('coverageLink');
    li.append(a);
    el.crumbs.append(li);
  }
}

// ---------------------------------------------------------------------------
// Selection (drill-down)

let selectSeq = 0;

/** Mercator midpoint of a [w, s, e, n] box, so it sits centred on screen. */
function bboxCenter([w, s, e, n]) {
  const y = (lat) => Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360));
  const mid = (y(s) + y(n)) / 2;
  return [(w + e) / 2, (360 / Math.PI) * Math.atan(Math.exp(mid)) - 90];
}

/**
 * Camera showing `detail` (null = the country) beside the panel, at a zoom where
 * the tiles carry its children's level: the fitted zoom, clamped to that level.
 */
function cameraFor(detail) {
  const padding = mapPadding();
  const bbox = detail ? detail.bbox : [...CHINA_BOUNDS[0], ...CHINA_BOUNDS[1]];
  const [w, s, e, n] = bbox;
  const fitted = map.cameraForBounds([[w, s], [e, n]], { padding })?.zoom;
  const shown = detail ? childLevelOf(detail) ?? detail.level : 'province';
  const [lo, hi] = LEVEL_ZOOM[shown] ?? LEVEL_ZOOM.county;
  const zoom = Math.max(lo, Math.min(hi, fitted ?? lo));
  // Centre the box in the part of the map the panel leaves free (an offset
  // rather than cameraForBounds' centre, which only holds at the fitted zoom).
  const offset = [(padding.left - padding.right) / 2, (padding.top - padding.bottom) / 2];
  return { center: bboxCenter(bbox), zoom, offset };
}

/** Select a division (null = the country): camera, outline, breadcrumb, panel, URL. */
async function selectDivision(code, { push = true, animate = true } = {}) {
  const seq = ++selectSeq;
  let detail = null;
  if (code) {
    try {
      detail = await fetchDivision(code);
    } catch (e) {
      if (seq !== selectSeq) return;
      showError(e.status === 404 ? new ApiError({ ...e, serverMessage: t('unknownCode', { code }) }) : e);
      return;
    }
    if (seq !== selectSeq) return;
  }
  clearError();
  hideHover();
  state.code = detail?.code ?? null;
  state.detail = detail;
  writeUrl(push);
  renderBreadcrumb();
  el.search.value = '';

  const cam = cameraFor(detail);
  map.easeTo({ ...cam, duration: animate ? CAMERA_MS : 0, essential: true });
  map.setPaintProperty(LAYER_FILL, 'fill-opacity', fillOpacity());
  await refresh(cam.zoom, [loadSelectionOutline(detail, cam.zoom)]);
}

let outlineSeq = 0;

async function loadSelectionOutline(detail, zoom) {
  const seq = ++outlineSeq;
  const source = map.getSource(SRC_SELECTION);
  if (!detail) {
    source?.setData(EMPTY_FC);
    return;
  }
  try {
    const f = await getJSON(`divisions/${detail.code}/boundary`, { zoom: Math.max(3, Math.round(zoom)) });
    if (seq !== outlineSeq) return;
    const ok = f?.type === 'Feature' && f.geometry && /Polygon$/.test(f.geometry.type);
    if (!ok) throw malformed(`divisions/${detail.code}/boundary`);
    map.getSource(SRC_SELECTION)?.setData({ type: 'FeatureCollection', features: [f] });
  } catch (e) {
    if (seq === outlineSeq) showError(e);
  }
}

// ---------------------------------------------------------------------------
// Refresh after any change of selection, kind, measure or month

let settleSeq = 0;

function viewKey() {
  return [state.kind, state.month, state.measure, state.code ?? '', state.view, state.fac ?? ''].join('|');
}

/** Reload breaks and panel for the current state; mark the view drawn once the map is idle. */
function refresh(zoom, extra = []) {
  if (!map?.getLayer(LAYER_FILL)) return Promise.resolve(); // main() refreshes once the layers exist
  zoom ??= map.getZoom();
  updateSources();
  const s = ++settleSeq;
  const work = Promise.all([refreshBreaks(zoom), refreshPanel(), ...extra]).catch((e) => {
    if (e?.name !== 'AbortError') showError(e);
    throw e;
  });
  return work.then(
    () => {
      if (s !== settleSeq) return;
      map.once('idle', () => {
        if (s !== settleSeq) return;
        document.body.dataset.view = viewKey();
        if (document.body.dataset.ready !== '1') document.body.dataset.ready = '1';
        scheduleLabels();
      });
      map.triggerRepaint();
    },
    () => {},
  );
}

// ---------------------------------------------------------------------------
// Division labels: HTML markers (no glyph server needed; system CJK fonts)

const labelMarkers = new Map(); // code -> Marker
let labelTimer = 0;
let labelSeq = 0;

function scheduleLabels() {
  clearTimeout(labelTimer);
  labelTimer = setTimeout(updateLabels, 80);
}

async function updateLabels() {
  const seq = ++labelSeq;
  const level = shownLevel();
  let list;
  try {
    list = await divisionList(level);
  } catch {
    return; // labels are a nicety; the map works without them
  }
  if (seq !== labelSeq) return;
  const canvas = map.getCanvas().getBoundingClientRect();
  const panel = document.getElementById('panel').getBoundingClientRect();
  const legend = el.legend.hidden ? null : el.legend.getBoundingClientRect();
  const focus = focusCode();
  const inFocus = (d) => !focus || d.code.slice(0, focus.n) === focus.code.slice(0, focus.n);
  const candidates = [];
  for (const d of list) {
    if (!Array.isArray(d.centroid)) continue;
    const p = map.project(d.centroid);
    if (p.x < 0 || p.y < 0 || p.x > canvas.width || p.y > canvas.height) continue;
    candidates.push({ d, p, focus: inFocus(d) });
  }
  candidates.sort((a, b) => b.focus - a.focus || (b.d.area_km2 ?? 0) - (a.d.area_km2 ?? 0));
  const placed = [];
  const boxes = [];
  const hit = (r, o) => o && r.x0 < o.right && r.x1 > o.left && r.y0 < o.bottom && r.y1 > o.top;
  for (const c of candidates) {
    if (placed.length >= MAX_LABELS) break;
    const text = shortName(c.d.name, level);
    const w = text.length * 12.5 + 10;
    const h = 18;
    const r = { x0: c.p.x - w / 2, x1: c.p.x + w / 2, y0: c.p.y - h / 2, y1: c.p.y + h / 2 };
    const screen = { x0: r.x0 + canvas.left, x1: r.x1 + canvas.left, y0: r.y0 + canvas.top, y1: r.y1 + canvas.top };
    if (hit(screen, panel) || hit(screen, legend)) continue;
    if (boxes.some((b) => r.x0 < b.x1 + 4 && r.x1 > b.x0 - 4 && r.y0 < b.y1 + 2 && r.y1 > b.y0 - 2)) continue;
    boxes.push(r);
    placed.push({ ...c, text });
  }
  const keep = new Set(placed.map((c) => c.d.code));
  for (const [code, marker] of labelMarkers) {
    if (!keep.has(code)) {
      marker.remove();
      labelMarkers.delete(code);
    }
  }
  for (const c of placed) {
    const existing = labelMarkers.get(c.d.code);
    if (existing) {
      existing.getElement().classList.toggle('dim', !c.focus);
      continue;
    }
    const node = document.createElement('div');
    node.className = `div-label level-${level}${c.focus ? '' : ' dim'}`;
    node.textContent = c.text;
    node.dataset.code = c.d.code;
    const marker = new Marker({ element: node, anchor: 'center' }).setLngLat(c.d.centroid).addTo(map);
    labelMarkers.set(c.d.code, marker);
  }
}

// ---------------------------------------------------------------------------
// Hover card and clicks

let hoverCode = null;

function setHover(code) {
  if (code === hoverCode) return;
  if (hoverCode !== null && map?.getSource(SRC_DIVISION)) {
    map.setFeatureState({ source: SRC_DIVISION, sourceLayer: SRC_DIVISION, id: hoverCode }, { hover: false });
  }
  hoverCode = code;
  if (code !== null && map?.getSource(SRC_DIVISION)) {
    map.setFeatureState({ source: SRC_DIVISION, sourceLayer: SRC_DIVISION, id: code }, { hover: true });
  }
}

function hoverLayers() {
  const layers = [];
  if (state.fac && map.getLayer(LAYER_FAC_POINT)) layers.push(LAYER_FAC_POINT, LAYER_FAC_CLUSTER);
  if (state.view === 'hex' && map.getLayer(LAYER_HEX)) layers.push(LAYER_HEX);
  if (map.getLayer(LAYER_FILL)) layers.push(LAYER_FILL);
  return layers;
}

function line(cls, text) {
  const span = document.createElement('span');
  span.className = cls;
  span.textContent = text;
  return span;
}

const pendingRows = new Set();

/** The /stats row of a division for the current kind and month, fetching its level once. */
function knownRow(code, level) {
  const row = rowIndex.get(`${state.kind}|${state.month}|${code}`);
  if (row || !LEVELS.includes(level)) return row ?? null;
  const key = `${state.kind}|${state.month}|${level}`;
  if (!pendingRows.has(key)) {
    pendingRows.add(key);
    fetchStats({ level })
      .then(() => {
        if (String(hoverCard.feature?.properties?.code) === code) renderHoverCard(hoverCard.feature, hoverCard.point);
      })
      .catch(() => {})
      .finally(() => pendingRows.delete(key));
  }
  return null;
}

const hoverCard = { feature: null, point: null };

function renderHoverCard(f, point) {
  hoverCard.feature = f;
  hoverCard.point = point;
  const props = f.properties ?? {};
  const nodes = [];
  if (f.layer.id === LAYER_FILL) {
    const code = String(props.code ?? f.id);
    const row = knownRow(code, props.level);
    nodes.push(line('card-name', row?.name || props.name || code));
    nodes.push(line('card-code', `${t('code')} ${code} · ${S().levels[props.level] ?? ''}`));
    const value = Number(props.value);
    const v = line('card-value', `${measureLabel()}${t('colon')}`);
    const b = document.createElement('b');
    if (props.value === undefined || props.value === null) {
      const hidden = isSuppressed(props) || (row !== null && rowValue(row) === null && isSuppressed(row));
      b.textContent = hidden ? suppressedText() : t('noData');
      markSuppressed(b, hidden);
    } else {
      b.textContent = fmtMeasure(value);
    }
    v.append(b);
    nodes.push(v);
    if (row) {
      const change = Number.isFinite(row.change) ? fmtSigned(row.change) : '—';
      const text = Number.isFinite(row.change_pct)
        ? t('changeLine', { change, pct: fmtPct(row.change_pct) })
        : t('changeLineNoPct', { change });
      const c = line(`card-change ${row.change > 0 ? 'up' : row.change < 0 ? 'down' : ''}`, text);
      nodes.push(c);
      if (state.measure !== 'rate' && Number.isFinite(row.rate_per_10k)) {
        nodes.push(line('card-sub', t('rateLine', { rate: fmtNumber(row.rate_per_10k, 2) })));
      }
    } else {
      nodes.push(line('card-sub', t('loading')));
    }
  } else if (f.layer.id === LAYER_HEX) {
    nodes.push(line('card-name', t('hexCell')));
    nodes.push(line('card-code', String(props.h3 ?? f.id ?? '')));
    const v = line('card-value', `${hexUnit()}${t('colon')}`);
    const b = document.createElement('b');
    const hidden = !Number.isFinite(Number(props.count)) && isSuppressed(props);
    b.textContent = hidden ? suppressedText() : fmtNumber(Number(props.count) || 0);
    if (hidden) markSuppressed(b);
    v.append(b);
    nodes.push(v);
    for (const k of state.meta?.kinds ?? []) {
      if (k.id in props && !hexKind()) nodes.push(line('card-sub', `${kindName(k)}${t('colon')}${fmtNumber(Number(props[k.id]) || 0)}`));
    }
  } else if (f.layer.id === LAYER_FAC_POINT) {
    const kind = state.meta?.kinds.find((k) => k.id === props.kind);
    nodes.push(line('card-name', props.name ?? ''));
    nodes.push(line('card-code', kindName(kind) || String(props.kind ?? '')));
    nodes.push(line('card-value', `${t('capacity')}${t('colon')}${fmtNumber(Number(props.capacity) || 0)}`));
    if (Number.isFinite(Number(props.occupied))) {
      nodes.push(line('card-sub', `${t('occupied')}${t('colon')}${fmtNumber(Number(props.occupied))}`));
    }
  } else {
    nodes.push(line('card-name', t('clusterTitle', { count: fmtNumber(Number(props.count) || 0) })));
    nodes.push(line('card-value', `${t('capacity')}${t('colon')}${fmtNumber(Number(props.capacity) || 0)}`));
    nodes.push(line('card-sub', t('clusterHint')));
  }
  el.hoverCard.replaceChildren(...nodes);
  el.hoverCard.hidden = false;
  // Keep the card inside the window, flipping to the cursor's other side near an edge.
  const rect = map.getContainer().getBoundingClientRect();
  const w = el.hoverCard.offsetWidth;
  const h = el.hoverCard.offsetHeight;
  let x = rect.left + point.x + 16;
  let y = rect.top + point.y + 16;
  if (x + w > window.innerWidth - 8) x = rect.left + point.x - w - 16;
  if (y + h > window.innerHeight - 8) y = rect.top + point.y - h - 16;
  el.hoverCard.style.transform = `translate(${Math.round(x)}px, ${Math.round(y)}px)`;
}

function hideHover() {
  el.hoverCard.hidden = true;
  hoverCard.feature = null;
  setHover(null);
}

function onMouseMove(e) {
  const layers = hoverLayers();
  const f = layers.length ? map.queryRenderedFeatures(e.point, { layers })[0] : null;
  if (!f) {
    hideHover();
    map.getCanvas().style.cursor = '';
    return;
  }
  setHover(f.layer.id === LAYER_FILL ? String(f.properties?.code ?? f.id) : null);
  map.getCanvas().style.cursor = f.layer.id === LAYER_FAC_POINT ? 'default' : 'pointer';
  renderHoverCard(f, e.point);
}

function onClick(e) {
  const layers = hoverLayers().filter((id) => id !== LAYER_HEX);
  const f = layers.length ? map.queryRenderedFeatures(e.point, { layers })[0] : null;
  if (!f) return;
  if (f.layer.id === LAYER_FAC_CLUSTER) {
    // Clusters expand into smaller ones, and into single facilities from z10.
    map.easeTo({ center: e.lngLat, zoom: Math.min(map.getZoom() + 2, 14), duration: CAMERA_MS });
    return;
  }
  if (f.layer.id === LAYER_FILL) {
    const code = String(f.properties?.code ?? f.id);
    if (CODE_RE.test(code)) selectDivision(code);
  }
}

// ---------------------------------------------------------------------------
// Search (client-side over the division lists)

let searchIndex = null;

function loadSearchIndex() {
  if (!searchIndex) {
    searchIndex = Promise.all(LEVELS.map((l) => divisionList(l))).then((lists) => {
      const byCode = new Map();
      for (const list of lists) for (const d of list) if (!byCode.has(d.code)) byCode.set(d.code, d);
      return { all: [...byCode.values()], byCode };
    });
    searchIndex.catch(() => (searchIndex = null));
  }
  return searchIndex;
}

function searchMatches(index, q) {
  const query = q.trim();
  if (!query) return [];
  const digits = /^\d+$/.test(query);
  const scored = [];
  for (const d of index.all) {
    let score;
    if (digits) {
      if (!d.code.startsWith(query)) continue;
      score = d.code === query ? 0 : 1;
    } else {
      const i = d.name.indexOf(query);
      if (i < 0) continue;
      score = d.name === query ? 0 : i === 0 ? 1 : 2;
    }
    scored.push({ d, score });
  }
  scored.sort(
    (a, b) => a.score - b.score || LEVEL_RANK[a.d.level] - LEVEL_RANK[b.d.level] || a.d.code.localeCompare(b.d.code),
  );
  return scored.slice(0, MAX_RESULTS).map((s) => s.d);
}

function lineageText(index, d) {
  const names = [];
  let p = d.parent ? index.byCode.get(d.parent) : null;
  while (p) {
    names.push(p.name);
    p = p.parent ? index.byCode.get(p.parent) : null;
  }
  return names.join(' · ');
}

let searchActive = -1;
let searchSeq = 0;

async function runSearch() {
  const seq = ++searchSeq;
  const q = el.search.value;
  if (!q.trim()) {
    closeSearch();
    return;
  }
  let index;
  try {
    if (!searchIndex) showSearchMessage(t('searchLoading'));
    index = await loadSearchIndex();
  } catch (e) {
    if (seq === searchSeq) {
      closeSearch();
      showError(e);
    }
    return;
  }
  if (seq !== searchSeq) return;
  const results = searchMatches(index, q);
  if (results.length === 0) {
    showSearchMessage(t('searchNone'));
    return;
  }
  searchActive = 0;
  el.searchResults.replaceChildren(
    ...results.map((d, i) => {
      const li = document.createElement('li');
      li.id = `search-opt-${i}`;
      li.setAttribute('role', 'option');
      li.dataset.code = d.code;
      li.className = 'search-option';
      const name = line('opt-name', d.name);
      const meta = line('opt-meta', [S().levels[d.level], lineageText(index, d)].filter(Boolean).join(' · '));
      const code = line('opt-code', d.code);
      li.append(name, code, meta);
      // mousedown, not click: the input's blur would close the list first.
      li.addEventListener('mousedown', (e) => {
        e.preventDefault();
        chooseResult(d.code);
      });
      return li;
    }),
  );
  markActive();
  el.searchResults.hidden = false;
  el.search.setAttribute('aria-expanded', 'true');
}

function showSearchMessage(text) {
  const li = document.createElement('li');
  li.className = 'search-empty';
  li.textContent = text;
  el.searchResults.replaceChildren(li);
  el.searchResults.hidden = false;
  el.search.setAttribute('aria-expanded', 'false');
  searchActive = -1;
}

function markActive() {
  const options = el.searchResults.querySelectorAll('[role="option"]');
  options.forEach((o, i) => o.setAttribute('aria-selected', String(i === searchActive)));
  if (searchActive >= 0 && options[searchActive]) {
    el.search.setAttribute('aria-activedescendant', options[searchActive].id);
    options[searchActive].scrollIntoView({ block: 'nearest' });
  } else {
    el.search.removeAttribute('aria-activedescendant');
  }
}

function closeSearch() {
  el.searchResults.hidden = true;
  el.searchResults.replaceChildren();
  el.search.setAttribute('aria-expanded', 'false');
  el.search.removeAttribute('aria-activedescendant');
  searchActive = -1;
}

function chooseResult(code) {
  closeSearch();
  el.search.blur();
  selectDivision(code);
}

function onSearchKey(e) {
  const options = el.searchResults.querySelectorAll('[role="option"]');
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    if (!options.length) return;
    e.preventDefault();
    const d = e.key === 'ArrowDown' ? 1 : -1;
    searchActive = (searchActive + d + options.length) % options.length;
    markActive();
  } else if (e.key === 'Enter') {
    e.preventDefault();
    const opt = options[Math.max(0, searchActive)];
    if (opt) chooseResult(opt.dataset.code);
    else if (CODE_RE.test(el.search.value.trim())) chooseResult(el.search.value.trim());
  } else if (e.key === 'Escape') {
    closeSearch();
  }
}

// ---------------------------------------------------------------------------
// Shareable URL

function writeUrl(push = false) {
  if (!state.kind || !state.month) return;
  const p = new URLSearchParams();
  if (state.code) p.set('code', state.code);
  p.set('kind', state.kind);
  p.set('measure', state.measure);
  p.set('month', state.month);
  p.set('view', state.view);
  if (state.fac) p.set('fac', state.fac);
  const url = `${location.pathname}?${p}`;
  if (url === location.pathname + location.search) return;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}

/** The view named by the page URL, each part checked against /meta (bad parts dropped). */
function readUrl() {
  const p = new URLSearchParams(location.search);
  const meta = state.meta;
  const kind = p.get('kind');
  const month = p.get('month');
  const fac = p.get('fac');
  const code = p.get('code');
  return {
    kind: meta.kinds.some((k) => k.id === kind) ? kind : meta.kinds[0].id,
    measure: MEASURES.includes(p.get('measure')) ? p.get('measure') : 'count',
    month: state.months.includes(month) ? month : meta.months.default,
    view: VIEWS.includes(p.get('view')) ? p.get('view') : 'choropleth',
    fac: fac === 'all' || isFacilityKind(fac) ? fac : null,
    code: CODE_RE.test(code ?? '') ? code : null,
  };
}

let shareTimer = 0;

async function copyLink() {
  writeUrl();
  const url = location.href;
  el.shareUrl.value = url;
  let copied = false;
  try {
    await navigator.clipboard.writeText(url);
    copied = true;
  } catch {
    // Clipboard API refused (policy or permissions): let the user copy by hand.
  }
  el.shareStatus.textContent = copied ? t('copied') : t('copyManual');
  el.shareStatus.hidden = false;
  el.shareUrl.hidden = copied;
  if (!copied) {
    el.shareUrl.focus();
    el.shareUrl.select();
  }
  clearTimeout(shareTimer);
  shareTimer = setTimeout(() => {
    el.shareStatus.hidden = true;
    el.shareUrl.hidden = true;
  }, copied ? 3000 : 15000);
}

// ---------------------------------------------------------------------------
// Controls

function renderKinds() {
  el.kindList.replaceChildren(
    ...state.meta.kinds.map((k) => {
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
      label.append(input, main);
      return label;
    }),
  );
  updateKindLabels();
}

/** Name in the UI language; the other language as a tooltip. */
function updateKindLabels() {
  for (const label of el.kindList.querySelectorAll('label.kind')) {
    const k = state.meta.kinds.find((x) => x.id === label.dataset.kind);
    const zh = k.name_zh || k.name_en || k.id;
    const en = k.name_en || zh;
    label.querySelector('.kind-main').textContent = state.lang === 'en' ? en : zh;
    label.title = state.lang === 'en' ? zh : en;
    label.querySelector('input').checked = k.id === state.kind;
  }
}

function renderFacilityKinds() {
  const kinds = state.meta.kinds.filter((k) => k.unit === 'facility');
  const options = [{ id: 'all', name: t('facilityAll') }, ...kinds.map((k) => ({ id: k.id, name: kindName(k) }))];
  el.facKind.replaceChildren(
    ...options.map((o) => {
      const opt = document.createElement('option');
      opt.value = o.id;
      opt.textContent = o.name;
      return opt;
    }),
  );
  el.facKind.value = state.fac ?? 'all';
  el.facToggle.checked = Boolean(state.fac);
  el.facKind.disabled = !state.fac;
}

function renderSegments() {
  for (const b of el.measure.querySelectorAll('[data-measure]')) {
    b.setAttribute('aria-checked', String(b.dataset.measure === state.measure));
  }
  for (const b of el.view.querySelectorAll('[data-view]')) {
    b.setAttribute('aria-checked', String(b.dataset.view === state.view));
  }
}

function renderMonth() {
  const i = state.months.indexOf(state.month);
  el.slider.max = String(Math.max(0, state.months.length - 1));
  el.slider.value = String(Math.max(0, i));
  el.slider.setAttribute('aria-valuetext', fmtMonth(state.month));
  el.monthLabel.textContent = fmtMonth(state.month);
  el.monthLabel.dataset.month = state.month ?? '';
  if (state.meta) {
    el.monthRange.textContent = t('monthRange', {
      first: fmtMonth(state.meta.months.first),
      last: fmtMonth(state.meta.months.last),
    });
  }
  el.monthPrev.disabled = i <= 0;
  el.monthNext.disabled = i < 0 || i >= state.months.length - 1;
  el.play.textContent = state.playing ? '❚❚' : '▶';
  el.play.setAttribute('aria-pressed', String(state.playing));
  const label = t(state.playing ? 'pause' : 'play');
  el.play.title = label;
  el.play.setAttribute('aria-label', label);
}

function setMonth(ym) {
  if (!state.months.includes(ym) || ym === state.month) {
    renderMonth();
    return;
  }
  state.month = ym;
  renderMonth();
  writeUrl();
  refresh();
}

let playTimer = 0;

function stopPlay() {
  clearInterval(playTimer);
  playTimer = 0;
  state.playing = false;
  renderMonth();
}

function startPlay() {
  if (state.months.indexOf(state.month) >= state.months.length - 1) setMonth(state.months[0]);
  state.playing = true;
  renderMonth();
  playTimer = setInterval(() => {
    const i = state.months.indexOf(state.month);
    if (i >= state.months.length - 1) {
      stopPlay();
      return;
    }
    setMonth(state.months[i + 1]);
    if (i + 1 >= state.months.length - 1) stopPlay();
  }, PLAY_MS);
}

function setKind(kind) {
  if (kind === state.kind) return;
  state.kind = kind;
  updateKindLabels();
  writeUrl();
  refresh();
}

function setMeasure(measure) {
  if (measure === state.measure || !MEASURES.includes(measure)) return;
  state.measure = measure;
  renderSegments();
  writeUrl();
  refresh();
}

function setView(view) {
  if (view === state.view || !VIEWS.includes(view)) return;
  state.view = view;
  state.hexClasses = [];
  renderSegments();
  hideHover();
  applyView();
  writeUrl();
  refresh();
}

function setFacilities(fac) {
  if (fac === state.fac) return;
  state.fac = fac;
  el.facKind.disabled = !fac;
  hideHover();
  applyView();
  writeUrl();
  refresh();
}

function wireControls() {
  for (const btn of document.querySelectorAll('.lang-btn')) {
    btn.addEventListener('click', () => setLang(btn.dataset.lang));
  }
  el.kindList.addEventListener('change', (e) => {
    if (e.target.name === 'kind' && state.meta) setKind(e.target.value);
  });
  el.measure.addEventListener('click', (e) => {
    const b = e.target.closest('[data-measure]');
    if (b && state.meta) setMeasure(b.dataset.measure);
  });
  el.view.addEventListener('click', (e) => {
    const b = e.target.closest('[data-view]');
    if (b && state.meta) setView(b.dataset.view);
  });
  el.facToggle.addEventListener('change', () => state.meta && setFacilities(el.facToggle.checked ? el.facKind.value || 'all' : null));
  el.facKind.addEventListener('change', () => state.meta && el.facToggle.checked && setFacilities(el.facKind.value));

  // The slider's label follows the thumb at once; the data follows when it rests.
  let sliderTimer = 0;
  el.slider.addEventListener('input', () => {
    const ym = state.months[Number(el.slider.value)];
    el.monthLabel.textContent = fmtMonth(ym);
    clearTimeout(sliderTimer);
    sliderTimer = setTimeout(() => setMonth(ym), 150);
  });
  el.slider.addEventListener('change', () => {
    clearTimeout(sliderTimer);
    setMonth(state.months[Number(el.slider.value)]);
  });
  el.monthPrev.addEventListener('click', () => setMonth(state.months[state.months.indexOf(state.month) - 1]));
  el.monthNext.addEventListener('click', () => setMonth(state.months[state.months.indexOf(state.month) + 1]));
  el.play.addEventListener('click', () => {
    if (!state.meta) return;
    if (state.playing) stopPlay();
    else startPlay();
  });

  let searchTimer = 0;
  el.search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 80);
  });
  el.search.addEventListener('keydown', onSearchKey);
  el.search.addEventListener('focus', () => {
    loadSearchIndex().catch(() => {});
    if (el.search.value.trim()) runSearch();
  });
  el.search.addEventListener('blur', () => setTimeout(closeSearch, 120));
  el.share.addEventListener('click', copyLink);

  window.addEventListener('popstate', () => {
    if (!state.meta) return;
    applyUrlState(readUrl(), { push: false, animate: true });
  });
}

// ---------------------------------------------------------------------------
// Errors

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

const renderBadge = userBadge($('user-badge'), () => state.lang);

function applyLang() {
  const lang = state.lang;
  renderBadge();
  document.documentElement.lang = lang;
  document.title = t('title');
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll('[data-i18n-aria]')) {
    node.setAttribute('aria-label', t(node.dataset.i18nAria));
  }
  for (const node of document.querySelectorAll('[data-i18n-title]')) node.title = t(node.dataset.i18nTitle);
  for (const node of document.querySelectorAll('[data-i18n-placeholder]')) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  for (const btn of document.querySelectorAll('.lang-btn')) {
    btn.setAttribute('aria-pressed', String(btn.dataset.lang === lang));
  }
  relabelControls();
  el.engineNote.textContent = t('engine', { version: getVersion() });

  if (state.meta) {
    updateKindLabels();
    renderFacilityKinds();
  }
  renderMonth();
  renderBreadcrumb();
  renderSummary();
  if (document.body.classList.contains('loading')) el.totalCaption.textContent = t('loading');
  renderTable();
  renderLegend();
  renderError();
  hideHover();
  closeSearch();
}

/** MapLibre reads its `locale` only at construction; relabel its controls. */
function relabelControls() {
  for (const [cls, key] of [['zoom-in', 'zoomIn'], ['zoom-out', 'zoomOut']]) {
    const btn = document.querySelector(`.maplibregl-ctrl-${cls}`);
    if (btn) {
      btn.title = t(key);
      btn.setAttribute('aria-label', t(key));
    }
  }
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
  if (!ok) throw malformed('meta');
  if (!MONTH_RE.test(months.default ?? '') || months.default < months.first || months.default > months.last) {
    months.default = months.last;
  }
  return meta;
}

function monthsBetween(first, last) {
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

/** Apply a view read from the URL (start-up, back/forward). */
function applyUrlState(v, { push, animate }) {
  const changed =
    v.kind !== state.kind || v.month !== state.month || v.measure !== state.measure || v.view !== state.view || v.fac !== state.fac;
  state.kind = v.kind;
  state.month = v.month;
  state.measure = v.measure;
  state.view = v.view;
  state.fac = v.fac;
  if (state.playing) stopPlay();
  updateKindLabels();
  renderFacilityKinds();
  renderSegments();
  renderMonth();
  applyView();
  if (v.code !== state.code) selectDivision(v.code, { push, animate });
  else if (changed || !state.classesInfo) refresh();
}

async function main() {
  applyLang();
  wireControls();
  try {
    // The session (its suppression threshold and division scope) before the first figures.
    const [metaBody, me] = await Promise.all([metaRequest, whoAmI()]);
    const meta = validateMeta(metaBody);
    state.meta = meta;
    state.months = monthsBetween(meta.months.first, meta.months.last);
    const v = readUrl();
    // A user whose scope is one province (or prefecture…) opens on it rather than the country.
    const home = scopeCode(me);
    if (!v.code && home && home !== '000000' && CODE_RE.test(home)) v.code = home;
    Object.assign(state, { kind: v.kind, month: v.month, measure: v.measure, view: v.view, fac: v.fac });
    const styleReady = createMap();
    relabelControls();
    renderKinds();
    renderFacilityKinds();
    renderSegments();
    renderMonth();
    renderSummary();

    await styleReady;
    applyView();
    if (v.code) await selectDivision(v.code, { push: false, animate: false });
    if (!state.code) {
      // No code, or one the server does not know (its error stays shown): the country.
      writeUrl(false);
      renderBreadcrumb();
      await refresh();
    }
    // Warm the search index once the first view is up.
    setTimeout(() => loadSearchIndex().catch(() => {}), 1500);
  } catch (e) {
    if (e?.name !== 'AbortError') showError(e);
  }
}

main();
