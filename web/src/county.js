// shikong web — county coverage page, served at /county/{code}.
//
// "How well are our people covered by services, and where are the gaps?"
// For one county-level unit: the coverage figures (demand, facilities,
// capacity, radius and capacity coverage, E2SFCA accessibility, share with no
// access), a map of the coverage cells, service-desert hexagons, facilities and
// suggested new sites, the suggested sites with their marginal gains, the
// county's 只报一次 table with CSV/XLSX download, and a monthly trend.
//
// Runs fully offline like the map page: the map style has no glyphs, no sprite
// and no outside source — only the server's own vector tiles and GeoJSON from
// its API. Labels are HTML (markers, popups, side lists), never map text.
//
// Test hooks (used by tests/web/county.mjs):
//   window.shikongCountyMap        the maplibre Map
//   window.shikongCounty           { state, query(), layers } for inspection
//   body[data-ready="true"]        set once, after the first complete render
//   body[data-view="…"]            the query currently drawn (see viewKey())
//   body[data-error="true"]        a page-level error is shown
//   body[data-tile-error="…"]      a tile source failed (set name)

import { Map as MapLibreMap, Marker, NavigationControl, Popup, getVersion } from '/vendor/maplibre-gl.mjs';
import {
  isSuppressed, markSuppressed, redirectToLogin, suppressedText, unauthorized, userBadge, whoAmI,
} from '/common.js';

const API = '/api/v1/';
const ORIGIN = location.origin;
const LANG_KEY = 'shikong.lang';
const MONTH_RE = /^\d{4}-(0[1-9]|1[0-2])$/;
const CODE_RE = /^\/county\/([^/]+)\/?$/;

// Same defaults as the API (kinds=tekun, facility_kind=elderly_care, radius_km=10,
// k=5, min_demand=5).
const DEFAULTS = { kinds: ['tekun'], facility: 'elderly_care', radius: 10, k: 5, minDemand: 5 };
const RADIUS_MAX = 100;
const K_MAX = 20;
const MIN_DEMAND_MAX = 1e6;

// Layer ids (queried by the test).
const LAYERS = {
  mask: 'county-mask',
  boundaryLine: 'county-line',
  coverage: 'coverage-fill',
  cellDots: 'coverage-dots',
  desertFill: 'desert-fill',
  desertLine: 'desert-line',
  siteRadius: 'site-radius',
  facilityCluster: 'facility-cluster',
  facilityPoint: 'facility-point',
};

// Same colours as the style reference /tiles/styles/shikong.json.
const COVER_RAMP = ['interpolate', ['linear'], ['get', 'covered_share'], 0, '#fc8d59', 0.5, '#fee08b', 1, '#1a9850'];
const DESERT_COLOR = '#d7301f';
const BACKGROUND_COLOR = '#eef2f6';
const COVERAGE_MIN_ZOOM = 8; // tiles/coverage: resolution-8 cells from z8
const FACILITY_CLUSTER_MAX_ZOOM = 10; // tiles/facility: one point per facility from z10
const CELL_DOTS_MAX_ZOOM = 10; // cells also drawn as dots below this zoom

// ---------------------------------------------------------------------------
// UI strings: zh-CN is the default and the reference; en mirrors its keys.

const EN_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const STRINGS = {
  'zh-CN': {
    title: '{name} 服务覆盖 — 时空 shikong',
    titlePlain: '县级服务覆盖 — 时空 shikong',
    pageSub: '县级服务覆盖：服务对象与服务设施的空间匹配',
    lineageLabel: '行政区划',
    backToMap: '← 返回地图',
    controlsLabel: '分析参数',
    demandKinds: '服务对象（需求）',
    facilityKind: '服务设施',
    radius: '服务半径（公里）',
    month: '统计月份',
    monthRange: '可选 {first} 至 {last}',
    monthOutOfRange: '请选择 {first} 至 {last} 之间的月份',
    radiusInvalid: '半径须大于 0 且不超过 {max} 公里',
    kSites: '建议新增点位',
    minDemand: '盲区最低人数',
    cardsLabel: '覆盖指标',
    cardDemand: '需求人数',
    cardFacilities: '可达设施',
    cardCapacity: '设施容量',
    cardRadius: '半径覆盖率',
    cardCapacityCov: '容量覆盖率',
    cardAccess: '平均可达性',
    cardNoAccess: '无可达设施占比',
    noteDemand: '{kinds} · {date}',
    noteFacilities: '含县界外 {radius} 公里内的{facility}',
    noteCapacity: '开放中的{facility}床位合计',
    noteRadius: '约 {covered} 人在 {radius} 公里内有设施',
    noteCapacityCov: '按就近分配，容量可服务的需求占比',
    noteAccess: '距离加权的人均床位（E2SFCA）· 中位数 {median}',
    noteNoAccess: '约 {n} 人半径内无任何设施',
    unitPersons: '人',
    unitRecords: '',
    unitFacilities: '家',
    unitPlaces: '张',
    unitPerPerson: '张/人',
    mapLabel: '县域服务覆盖地图',
    legendTitle: '图例',
    legendCovered: '半径内覆盖比例',
    legendDesert: '服务盲区（有需求、半径内无设施）',
    legendFacility: '现有设施（低缩放为聚合）',
    legendSite: '建议新增点位（按顺序）',
    legendBoundary: '县界',
    sideLabel: '建议新增点位',
    beforeAfter: '新增点位前后的半径覆盖',
    before: '现状',
    after: '新增后',
    baNote: '新增 {k} 个点位，可多覆盖 {gain} 人（{before} → {after}）',
    sitesTitle: '建议新增点位',
    sitesHint: '贪心最大覆盖：每个点位按新增覆盖人数依次选出。',
    siteGain: '+{gain} 人',
    siteCum: '累计 {share}',
    siteName: '建议点位 {n}',
    siteAt: '{lat}°N, {lon}°E',
    noSites: '无可建议的点位（无需求或已全部覆盖）',
    desertsTitle: '服务盲区（最严重）',
    desertsSummary: '{n} 个网格（约 0.7 平方公里/格，每格至少 {min} 人）共 {demand} 人，半径内无有容量的设施',
    desertsNone: '当前半径下没有服务盲区（每格至少 {min} 人）',
    desertRow: '{demand} 人 · 最近设施 {nearest}',
    desertNearestNone: '无',
    km: '{km} 公里',
    tableTitle: '只报一次统计表',
    tableCaption: '{name} · {month} · 各类服务对象在册数（事件为当月登记数）',
    downloadCsv: '下载 CSV',
    downloadXlsx: '下载 XLSX',
    colCode: '区划代码',
    colName: '县级单位',
    colPrefecture: '地市',
    colProvince: '省份',
    noTableRows: '本月无数据',
    trendTitle: '需求人数月度走势',
    trendLabel: '月度走势图',
    trendCaption: '{kinds} · {from} 至 {to} · 月末在册数',
    trendFailed: '走势图无法显示：{message}',
    popCell: '覆盖网格',
    popDemand: '需求',
    popCovered: '半径内覆盖',
    popAccess: '可达性',
    popDesert: '服务盲区',
    popNearest: '最近设施',
    popFacility: '设施',
    popCapacity: '床位',
    popOccupied: '在住',
    popCluster: '{n} 家设施（放大查看）',
    popGain: '新增覆盖',
    loading: '加载中…',
    errorTitle: '加载失败',
    notCountyTitle: '不是县级单位',
    notCounty: '{name}（{code}）不是县级单位；县级服务覆盖按县计算。',
    chooseChild: '请选择下级区划：',
    badPath: '地址应为 /county/ 加 6 位区划代码，例如 /county/330106',
    networkError: '无法连接服务器（{message}）',
    httpError: '服务器返回 HTTP {status}',
    badResponse: '服务器返回的数据格式无效',
    tileError: '{layer}瓦片加载失败：{message}',
    tileCoverage: '覆盖网格',
    tileFacility: '设施',
    zoomForCells: '放大到 {z} 级以上显示覆盖网格六边形',
    engine: '地图引擎 MapLibre GL JS {version} · 离线运行，不加载外部底图',
    zoomIn: '放大',
    zoomOut: '缩小',
    colon: '：',
    listSep: '、',
    formatMonth: (y, m) => `${y}年${m}月`,
    formatDate: (y, m, d) => `${y}年${m}月${d}日`,
    numberLocale: 'zh-CN',
  },
  en: {
    title: '{name} service coverage — shikong',
    titlePlain: 'County service coverage — shikong',
    pageSub: 'County service coverage: where recipients live vs. where services are',
    lineageLabel: 'Administrative division',
    backToMap: '← Back to map',
    controlsLabel: 'Analysis parameters',
    demandKinds: 'Recipients (demand)',
    facilityKind: 'Facilities',
    radius: 'Service radius (km)',
    month: 'Month',
    monthRange: '{first} to {last}',
    monthOutOfRange: 'Choose a month between {first} and {last}',
    radiusInvalid: 'Radius must be above 0 and at most {max} km',
    kSites: 'New sites to suggest',
    minDemand: 'Desert: least people per cell',
    cardsLabel: 'Coverage figures',
    cardDemand: 'Demand',
    cardFacilities: 'Facilities in reach',
    cardCapacity: 'Capacity',
    cardRadius: 'Radius coverage',
    cardCapacityCov: 'Capacity coverage',
    cardAccess: 'Mean accessibility',
    cardNoAccess: 'No access',
    noteDemand: '{kinds} · {date}',
    noteFacilities: '{facility}, incl. up to {radius} km outside the county',
    noteCapacity: 'Places in open {facility}',
    noteRadius: '≈ {covered} people within {radius} km of a facility',
    noteCapacityCov: 'Share of demand the capacity can serve, nearest first',
    noteAccess: 'Distance-weighted places per person (E2SFCA) · median {median}',
    noteNoAccess: '≈ {n} people with no facility within the radius',
    unitPersons: 'persons',
    unitRecords: '',
    unitFacilities: 'facilities',
    unitPlaces: 'places',
    unitPerPerson: 'places/person',
    mapLabel: 'County coverage map',
    legendTitle: 'Legend',
    legendCovered: 'share within the radius',
    legendDesert: 'Service desert (demand, no facility in reach)',
    legendFacility: 'Existing facilities (clustered when zoomed out)',
    legendSite: 'Suggested new sites (in order)',
    legendBoundary: 'County boundary',
    sideLabel: 'Suggested new sites',
    beforeAfter: 'Radius coverage before / after new sites',
    before: 'Now',
    after: 'With sites',
    baNote: '{k} new sites cover {gain} more people ({before} → {after})',
    sitesTitle: 'Suggested new sites',
    sitesHint: 'Greedy maximal covering: each site is the one that covers the most people not yet covered.',
    siteGain: '+{gain} people',
    siteCum: 'cumulative {share}',
    siteName: 'Suggested site {n}',
    siteAt: '{lat}°N, {lon}°E',
    noSites: 'No site to suggest (no demand, or everyone is covered)',
    desertsTitle: 'Worst service deserts',
    desertsSummary: '{n} cells (≈ 0.7 km² each, at least {min} people), {demand} people, no facility with capacity within the radius',
    desertsNone: 'No service desert at this radius (cells with at least {min} people)',
    desertRow: '{demand} people · nearest facility {nearest}',
    desertNearestNone: 'none',
    km: '{km} km',
    tableTitle: '只报一次 county table',
    tableCaption: '{name} · {month} · recipients in force (events: registered in the month)',
    downloadCsv: 'Download CSV',
    downloadXlsx: 'Download XLSX',
    colCode: 'Code',
    colName: 'County',
    colPrefecture: 'Prefecture',
    colProvince: 'Province',
    noTableRows: 'No data for this month',
    trendTitle: 'Demand by month',
    trendLabel: 'Monthly trend chart',
    trendCaption: '{kinds} · {from} to {to} · in force at month end',
    trendFailed: 'Chart unavailable: {message}',
    popCell: 'Coverage cell',
    popDemand: 'Demand',
    popCovered: 'Within radius',
    popAccess: 'Accessibility',
    popDesert: 'Service desert',
    popNearest: 'Nearest facility',
    popFacility: 'Facility',
    popCapacity: 'Places',
    popOccupied: 'Occupied',
    popCluster: '{n} facilities (zoom in)',
    popGain: 'Newly covered',
    loading: 'Loading…',
    errorTitle: 'Failed to load',
    notCountyTitle: 'Not a county-level unit',
    notCounty: '{name} ({code}) is not a county-level unit; coverage is computed per county.',
    chooseChild: 'Choose a division below it:',
    badPath: 'The address should be /county/ and a 6-digit division code, e.g. /county/330106',
    networkError: 'Cannot reach the server ({message})',
    httpError: 'Server returned HTTP {status}',
    badResponse: 'The server returned malformed data',
    tileError: '{layer} tiles failed to load: {message}',
    tileCoverage: 'Coverage cell',
    tileFacility: 'Facility',
    zoomForCells: 'Zoom to {z} or closer for coverage hexagons',
    engine: 'Map engine MapLibre GL JS {version} · offline, no external base map',
    zoomIn: 'Zoom in',
    zoomOut: 'Zoom out',
    colon: ': ',
    listSep: ', ',
    formatMonth: (y, m) => `${EN_MONTHS[m - 1]} ${y}`,
    formatDate: (y, m, d) => `${d} ${EN_MONTHS[m - 1]} ${y}`,
    numberLocale: 'en-US',
  },
};

// ---------------------------------------------------------------------------
// State

const state = {
  lang: initialLang(),
  code: null, // the county code from the path
  meta: null, // GET /meta
  division: null, // GET /divisions/{code}
  query: null, // { kinds, facility, radius, month, k } currently asked for
  coverage: null, // GET /coverage/{code}
  deserts: null, // GET /coverage/{code}/deserts
  plan: null, // GET /coverage/{code}/suggest
  table: null, // GET /reports/county-table
  series: null, // GET /stats/series
  trendError: null,
  error: null, // { title?, err, children? } shown page-wide
  tileErrors: new Map(), // source id -> message
};

const $ = (id) => document.getElementById(id);
const el = {
  countyName: $('county-name'),
  countyCode: $('county-code'),
  lineage: $('lineage'),
  backLink: $('back-link'),
  error: $('error'),
  errorTitle: $('error-title'),
  errorMessage: $('error-message'),
  errorDetail: $('error-detail'),
  content: $('content'),
  kindList: $('kind-list'),
  facility: $('facility-kind'),
  radius: $('radius'),
  radiusRange: $('radius-range'),
  month: $('month'),
  monthHint: $('month-hint'),
  k: $('k'),
  minDemand: $('min-demand'),
  cards: $('cards'),
  mapStatus: $('map-status'),
  engineNote: $('engine-note'),
  baBefore: $('ba-before'),
  baAfter: $('ba-after'),
  baBeforeBar: $('ba-before-bar'),
  baAfterBar: $('ba-after-bar'),
  baNote: $('ba-note'),
  sites: $('sites'),
  deserts: $('deserts'),
  desertsSummary: $('deserts-summary'),
  tableCaption: $('table-caption'),
  reportHead: $('report-head'),
  reportBody: $('report-body'),
  dlCsv: $('dl-csv'),
  dlXlsx: $('dl-xlsx'),
  trend: $('trend'),
  trendCaption: $('trend-caption'),
};

function initialLang() {
  try {
    const saved = localStorage.getItem(LANG_KEY);
    if (saved && saved in STRINGS) return saved;
  } catch {
    // storage may be disabled by policy
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

// The API can answer -0.0 (a Rust float sum over nothing); `+ 0` turns -0 into 0
// so that it never shows as "-0".
function fmtNumber(n, digits = 0) {
  if (!Number.isFinite(n)) return '—';
  n += 0;
  return new Intl.NumberFormat(S().numberLocale, {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(n);
}

/** A count that the server may suppress: "*" when `x` is missing and `row` is marked suppressed. */
function fmtCount(x, row) {
  if (Number.isFinite(x)) return fmtNumber(x);
  return isSuppressed(row) ? suppressedText() : '—';
}

function fmtShare(x) {
  if (!Number.isFinite(x)) return '—';
  x += 0;
  return new Intl.NumberFormat(S().numberLocale, {
    style: 'percent',
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  }).format(x);
}

/**
 * E2SFCA accessibility is places per person (distance-weighted). It spans orders of
 * magnitude (0.004 in a crowded district, 8 where a few people share a large home), so
 * the decimals follow its size: about three significant digits.
 */
function fmtAccess(x) {
  if (!Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  const digits = a === 0 ? 0 : a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : a >= 0.1 ? 3 : 4;
  return fmtNumber(x, digits);
}

function fmtMonth(ym) {
  if (!MONTH_RE.test(ym ?? '')) return ym ?? '';
  const [y, m] = ym.split('-').map(Number);
  return S().formatMonth(y, m);
}

function fmtDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso ?? '');
  if (!m) return iso ?? '';
  return S().formatDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** Last day of a "YYYY-MM" month as "YYYY-MM-DD". */
function monthEnd(ym) {
  const [y, m] = ym.split('-').map(Number);
  const d = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return `${ym}-${String(d).padStart(2, '0')}`;
}

function kindById(id) {
  return state.meta?.kinds.find((k) => k.id === id) ?? null;
}

function kindName(idOrKind) {
  const k = typeof idOrKind === 'string' ? kindById(idOrKind) : idOrKind;
  if (!k) return String(idOrKind ?? '');
  return state.lang === 'en' ? k.name_en || k.name_zh : k.name_zh || k.name_en;
}

function kindsLabel(ids) {
  return ids.map((id) => kindName(id)).join(S().listSep);
}

// ---------------------------------------------------------------------------
// API access (same error model as app.js: {"error":{"code","message","param"}})

class ApiError extends Error {
  constructor(o) {
    super(o.serverMessage || o.network || `HTTP ${o.status}`);
    this.name = 'ApiError';
    Object.assign(this, o);
  }
}

function apiUrl(path, params = {}) {
  const url = new URL(path, new URL(API, ORIGIN));
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
  }
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
  if (body === null || typeof body !== 'object') throw new ApiError({ url: shown, status: res.status, malformed: true });
  return body;
}

function malformed(path) {
  return new ApiError({ url: API + path, status: 200, malformed: true });
}

function errorText(e) {
  if (e instanceof ApiError) {
    if (e.serverMessage) return e.serverMessage;
    if (e.network) return t('networkError', { message: e.network });
    if (e.malformed) return t('badResponse');
    return t('httpError', { status: e.status });
  }
  return e?.message || String(e);
}

function errorDetail(e) {
  const detail = [];
  if (e?.code) detail.push(e.code);
  if (e?.param) detail.push(`param=${e.param}`);
  if (e?.status) detail.push(`HTTP ${e.status}`);
  if (e?.url) detail.push(e.url);
  return detail.join(' · ');
}

// ---------------------------------------------------------------------------
// The query: controls <-> URL <-> API parameters

function coverageParams(q) {
  return {
    kinds: q.kinds.join(','),
    facility_kind: q.facility,
    radius_km: String(q.radius),
    date: monthEnd(q.month),
  };
}

/** Identifies a drawn query (body[data-view]). */
function viewKey(q) {
  return `${q.kinds.join(',')}|${q.facility}|${q.radius}|${q.month}|${q.k}|${q.minDemand}`;
}

function readUrlQuery() {
  const p = new URLSearchParams(location.search);
  const meta = state.meta;
  const demandIds = demandKinds().map((k) => k.id);
  const facilityIds = facilityKinds().map((k) => k.id);
  let kinds = (p.get('kinds') ?? '').split(',').filter((id) => demandIds.includes(id));
  if (kinds.length === 0) kinds = DEFAULTS.kinds.filter((id) => demandIds.includes(id));
  if (kinds.length === 0) kinds = demandIds.slice(0, 1);
  let facility = p.get('facility_kind');
  if (!facilityIds.includes(facility)) facility = facilityIds.includes(DEFAULTS.facility) ? DEFAULTS.facility : facilityIds[0];
  let radius = Number(p.get('radius_km'));
  if (!(radius > 0 && radius <= RADIUS_MAX)) radius = DEFAULTS.radius;
  let month = p.get('month');
  if (!MONTH_RE.test(month ?? '') || month < meta.months.first || month > meta.months.last) month = meta.months.default;
  let k = Number(p.get('k'));
  if (!(Number.isInteger(k) && k >= 1 && k <= K_MAX)) k = DEFAULTS.k;
  let minDemand = p.has('min_demand') ? Number(p.get('min_demand')) : NaN;
  if (!(minDemand >= 0 && minDemand <= MIN_DEMAND_MAX)) minDemand = DEFAULTS.minDemand;
  return { kinds: sortKinds(kinds), facility, radius, month, k, minDemand };
}

function writeUrlQuery(q) {
  const p = new URLSearchParams();
  p.set('kinds', q.kinds.join(','));
  p.set('facility_kind', q.facility);
  p.set('radius_km', String(q.radius));
  p.set('month', q.month);
  p.set('k', String(q.k));
  p.set('min_demand', String(q.minDemand));
  const url = `${location.pathname}?${p}`;
  if (url !== location.pathname + location.search) history.replaceState(null, '', url);
}

function demandKinds() {
  return (state.meta?.kinds ?? []).filter((k) => k.unit !== 'facility');
}

function facilityKinds() {
  return (state.meta?.kinds ?? []).filter((k) => k.unit === 'facility');
}

/** Kinds in /meta order, so equal selections give equal queries (and cache keys). */
function sortKinds(ids) {
  const order = (state.meta?.kinds ?? []).map((k) => k.id);
  return [...new Set(ids)].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

function demandUnit(ids) {
  const units = new Set(ids.map((id) => kindById(id)?.unit));
  return units.size === 1 && units.has('person') ? t('unitPersons') : t('unitRecords');
}

// ---------------------------------------------------------------------------
// Map

let map = null;
let mapLoaded = null;
const popup = new Popup({ closeButton: true, closeOnClick: false, offset: 10, maxWidth: '300px' });
let siteMarkers = [];

function createMap(bbox) {
  map = new MapLibreMap({
    container: 'map',
    style: {
      version: 8,
      name: 'shikong-county-offline',
      // No glyphs/sprite: nothing but our own server is ever asked for anything.
      sources: {},
      layers: [{ id: 'background', type: 'background', paint: { 'background-color': BACKGROUND_COLOR } }],
    },
    bounds: bbox ? [[bbox[0], bbox[1]], [bbox[2], bbox[3]]] : [[73, 17], [135.5, 54]],
    fitBoundsOptions: { padding: mapPadding() },
    attributionControl: false,
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
    renderWorldCopies: false,
    maxZoom: 16,
    locale: {
      'NavigationControl.ZoomIn': STRINGS['zh-CN'].zoomIn,
      'NavigationControl.ZoomOut': STRINGS['zh-CN'].zoomOut,
    },
  });
  map.touchZoomRotate.disableRotation();
  map.addControl(new NavigationControl({ showCompass: false }), 'top-right');
  window.shikongCountyMap = map;
  mapLoaded = new Promise((resolve) => map.once('load', resolve));

  // Tile failures are shown on the page (and flagged for the test) instead of
  // being logged by MapLibre's default handler.
  map.on('error', (e) => {
    if (e.error?.status === 401) {
      redirectToLogin(); // a tile request without a valid session
      return;
    }
    const source = e.sourceId || e.source?.id || '';
    const message = e.error?.message || String(e.error || 'error');
    if (source === 'coverage' || source === 'facility') {
      state.tileErrors.set(source, message);
      document.body.dataset.tileError = [...state.tileErrors.keys()].join(',');
      renderMapStatus();
    } else {
      // Anything else is unexpected: keep it visible in the console.
      console.error('map error', source, message);
    }
  });
  map.on('zoomend', renderMapStatus);
}

function mapPadding() {
  const legend = document.getElementById('legend');
  const w = legend?.getBoundingClientRect().width || 0;
  return { top: 30, bottom: 30, left: 30, right: Math.min(40 + w, 320) };
}

function tileUrl(set, params) {
  const qs = new URLSearchParams(params).toString();
  // Built as a string: URL() would percent-encode the {z}/{x}/{y} placeholders.
  return `${ORIGIN}/tiles/${set}/{z}/{x}/{y}.mvt${qs ? `?${qs}` : ''}`;
}

function coverageTileParams(q) {
  return { ...coverageParams(q), min_demand: String(q.minDemand) };
}

function facilityTileParams(q) {
  return { kind: q.facility, date: monthEnd(q.month) };
}

/** World polygon with the county cut out: dims everything outside it. */
function maskOf(feature) {
  const g = feature?.geometry;
  if (!g) return null;
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
  const world = [[-180, -85], [180, -85], [180, 85], [-180, 85], [-180, -85]];
  return {
    type: 'Feature',
    properties: {},
    geometry: { type: 'Polygon', coordinates: [world, ...polys.map((p) => p[0]).filter(Boolean)] },
  };
}

/** A circle of `km` around lon/lat as a polygon (spherical destination formula). */
function circle(lon, lat, km, steps = 72) {
  const R = 6371.0088;
  const d = km / R;
  const φ1 = (lat * Math.PI) / 180;
  const λ1 = (lon * Math.PI) / 180;
  const ring = [];
  for (let i = 0; i <= steps; i++) {
    const θ = (2 * Math.PI * i) / steps;
    const φ2 = Math.asin(Math.sin(φ1) * Math.cos(d) + Math.cos(φ1) * Math.sin(d) * Math.cos(θ));
    const λ2 = λ1 + Math.atan2(Math.sin(θ) * Math.sin(d) * Math.cos(φ1), Math.cos(d) - Math.sin(φ1) * Math.sin(φ2));
    ring.push([(λ2 * 180) / Math.PI, (φ2 * 180) / Math.PI]);
  }
  return ring;
}

const EMPTY_FC = { type: 'FeatureCollection', features: [] };

/** [[west, south], [east, north]] of a GeoJSON Feature, or null. */
function boundsOf(feature) {
  let w = Infinity;
  let s = Infinity;
  let e = -Infinity;
  let n = -Infinity;
  const visit = (c) => {
    if (typeof c[0] === 'number') {
      w = Math.min(w, c[0]);
      e = Math.max(e, c[0]);
      s = Math.min(s, c[1]);
      n = Math.max(n, c[1]);
    } else {
      for (const x of c) visit(x);
    }
  };
  if (feature?.geometry?.coordinates) visit(feature.geometry.coordinates);
  return Number.isFinite(w) ? [[w, s], [e, n]] : null;
}

function addLayers(boundary, q) {
  const code = String(state.code);
  map.addSource('boundary', { type: 'geojson', data: boundary });
  const mask = maskOf(boundary);
  if (mask) map.addSource('mask', { type: 'geojson', data: mask });
  map.addSource('coverage', {
    type: 'vector',
    tiles: [tileUrl('coverage', coverageTileParams(q))],
    minzoom: COVERAGE_MIN_ZOOM,
    maxzoom: 12,
    promoteId: 'h3',
  });
  map.addSource('cells', { type: 'geojson', data: EMPTY_FC });
  map.addSource('deserts', { type: 'geojson', data: EMPTY_FC });
  map.addSource('site-radius', { type: 'geojson', data: EMPTY_FC });
  map.addSource('facility', {
    type: 'vector',
    tiles: [tileUrl('facility', facilityTileParams(q))],
    minzoom: 0,
    // From z10 each facility is one point; higher zooms reuse the z10 tiles.
    maxzoom: FACILITY_CLUSTER_MAX_ZOOM,
  });

  map.addLayer({
    id: 'county-fill',
    type: 'fill',
    source: 'boundary',
    paint: { 'fill-color': '#ffffff', 'fill-opacity': 0.9 },
  });
  map.addLayer({
    id: LAYERS.coverage,
    type: 'fill',
    source: 'coverage',
    'source-layer': 'coverage',
    minzoom: COVERAGE_MIN_ZOOM,
    // Tiles hold every county meeting them; draw this county's cells only.
    filter: ['==', ['to-string', ['get', 'county']], code],
    paint: {
      'fill-color': ['case', ['boolean', ['get', 'desert'], false], DESERT_COLOR, COVER_RAMP],
      'fill-opacity': 0.78,
      'fill-outline-color': 'rgba(255,255,255,0.55)',
    },
  });
  // Below the coverage tiles' first zoom a hexagon is under two pixels, and up
  // to z10 only a few: the API's per-cell figures are also drawn as dots there.
  map.addLayer({
    id: LAYERS.cellDots,
    type: 'circle',
    source: 'cells',
    maxzoom: CELL_DOTS_MAX_ZOOM,
    paint: {
      'circle-color': COVER_RAMP,
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 4, 1.5, 8, 3, 10, 4],
      'circle-opacity': 0.9,
      'circle-stroke-color': 'rgba(255,255,255,0.8)',
      'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 6, 0, 9, 0.6],
    },
  });
  map.addLayer({
    id: LAYERS.desertFill,
    type: 'fill',
    source: 'deserts',
    paint: { 'fill-color': DESERT_COLOR, 'fill-opacity': ['interpolate', ['linear'], ['zoom'], 6, 0.95, 12, 0.6] },
  });
  map.addLayer({
    id: LAYERS.desertLine,
    type: 'line',
    source: 'deserts',
    // Thick at low zoom, where a desert hexagon is only a few pixels across.
    paint: { 'line-color': '#b30000', 'line-width': ['interpolate', ['linear'], ['zoom'], 7, 2.5, 10, 1.6, 13, 2.4] },
  });
  if (mask) {
    map.addLayer({
      id: LAYERS.mask,
      type: 'fill',
      source: 'mask',
      paint: { 'fill-color': '#dfe5ec', 'fill-opacity': 0.7 },
    });
  }
  map.addLayer({
    id: LAYERS.boundaryLine,
    type: 'line',
    source: 'boundary',
    paint: { 'line-color': '#1f2933', 'line-width': 2, 'line-opacity': 0.85 },
  });
  map.addLayer({
    id: LAYERS.siteRadius,
    type: 'line',
    source: 'site-radius',
    paint: { 'line-color': '#6a3d9a', 'line-width': 1.4, 'line-dasharray': [3, 2], 'line-opacity': 0.8 },
  });
  map.addLayer({
    id: LAYERS.facilityCluster,
    type: 'circle',
    source: 'facility',
    'source-layer': 'facility',
    maxzoom: FACILITY_CLUSTER_MAX_ZOOM,
    paint: {
      'circle-color': '#1d4f91',
      'circle-opacity': 0.85,
      'circle-stroke-color': '#ffffff',
      'circle-stroke-width': 1.2,
      'circle-radius': ['interpolate', ['linear'], ['ln', ['+', 1, ['get', 'count']]], 0, 4, 6, 16],
    },
  });
  map.addLayer({
    id: LAYERS.facilityPoint,
    type: 'circle',
    source: 'facility',
    'source-layer': 'facility',
    minzoom: FACILITY_CLUSTER_MAX_ZOOM,
    paint: {
      'circle-color': '#1d4f91',
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 4.5, 14, 7],
      'circle-stroke-color': '#ffffff',
      'circle-stroke-width': 1.5,
    },
  });

  for (const id of [LAYERS.coverage, LAYERS.cellDots, LAYERS.desertFill, LAYERS.facilityPoint, LAYERS.facilityCluster]) {
    map.on('mouseenter', id, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', id, () => { map.getCanvas().style.cursor = ''; });
  }
  map.on('click', (e) => {
    const layers = [LAYERS.facilityPoint, LAYERS.facilityCluster, LAYERS.desertFill, LAYERS.coverage, LAYERS.cellDots]
      .filter((id) => map.getLayer(id));
    const f = map.queryRenderedFeatures(e.point, { layers })[0];
    if (f) showFeaturePopup(f, e.lngLat);
    else popup.remove();
  });
}

/** A property as a number: null and undefined stay missing (Number(null) would be 0). */
function num(v) {
  return v === null || v === undefined || v === '' ? NaN : Number(v);
}

function popupNode(title, rows) {
  const node = document.createElement('div');
  node.className = 'pop';
  const h = document.createElement('strong');
  h.className = 'pop-title';
  h.textContent = title;
  node.append(h);
  for (const [label, value] of rows) {
    const line = document.createElement('span');
    line.className = 'pop-row';
    const l = document.createElement('span');
    l.textContent = `${label}${t('colon')}`;
    const b = document.createElement('b');
    b.textContent = value;
    line.append(l, b);
    node.append(line);
  }
  return node;
}

function showFeaturePopup(f, lngLat) {
  const p = f.properties ?? {};
  let node;
  if (f.layer.id === LAYERS.facilityCluster && Number(p.count) > 1) {
    node = popupNode(t('popCluster', { n: fmtNumber(Number(p.count)) }), [[t('popCapacity'), fmtNumber(Number(p.capacity))]]);
  } else if (f.layer.id === LAYERS.facilityPoint || f.layer.id === LAYERS.facilityCluster) {
    node = popupNode(p.name || t('popFacility'), [
      [t('facilityKind'), kindName(p.kind || state.query.facility)],
      [t('popCapacity'), fmtNumber(Number(p.capacity))],
      [t('popOccupied'), Number.isFinite(Number(p.occupied)) ? fmtNumber(Number(p.occupied)) : '—'],
    ]);
  } else if (f.layer.id === LAYERS.desertFill) {
    node = popupNode(`${t('popDesert')} #${p.rank}`, [
      [t('popDemand'), `${fmtCount(num(p.demand), p)} ${demandUnit(state.query.kinds)}`],
      [t('popNearest'), p.nearest_km == null ? t('desertNearestNone') : t('km', { km: fmtNumber(Number(p.nearest_km), 1) })],
    ]);
  } else {
    const access = Number(p.accessibility ?? p.accessibility_mean);
    node = popupNode(t('popCell'), [
      [t('popDemand'), `${fmtCount(num(p.demand), p)} ${demandUnit(state.query.kinds)}`],
      [t('popCovered'), fmtShare(Number(p.covered_share))],
      [t('popAccess'), `${fmtAccess(access)} ${t('unitPerPerson')}`],
    ]);
  }
  popup.setLngLat(lngLat).setDOMContent(node).addTo(map);
}

function setCoverageSources(q) {
  map.getSource('coverage')?.setTiles([tileUrl('coverage', coverageTileParams(q))]);
  map.getSource('facility')?.setTiles([tileUrl('facility', facilityTileParams(q))]);
  state.tileErrors.clear();
  delete document.body.dataset.tileError;
  renderMapStatus();
}

function renderMapStatus() {
  const notes = [];
  for (const [source, message] of state.tileErrors) {
    notes.push(t('tileError', { layer: t(source === 'coverage' ? 'tileCoverage' : 'tileFacility'), message }));
  }
  if (map && map.getZoom() < COVERAGE_MIN_ZOOM) notes.push(t('zoomForCells', { z: COVERAGE_MIN_ZOOM }));
  el.mapStatus.textContent = notes.join(' · ');
  el.mapStatus.hidden = notes.length === 0;
  el.mapStatus.classList.toggle('map-status-error', state.tileErrors.size > 0);
}

function drawCells(coverage) {
  const features = (coverage?.cells ?? []).map((c) => ({
    type: 'Feature',
    properties: { cell: c.cell, demand: c.demand, covered_share: c.covered_share, accessibility: c.accessibility_mean, suppressed: isSuppressed(c) },
    geometry: { type: 'Point', coordinates: [c.lon, c.lat] },
  }));
  map.getSource('cells')?.setData({ type: 'FeatureCollection', features });
}

function drawDeserts(deserts) {
  map.getSource('deserts')?.setData(deserts ?? EMPTY_FC);
}

function drawSites(plan, q) {
  for (const m of siteMarkers) m.remove();
  siteMarkers = [];
  const chosen = plan?.chosen ?? [];
  map.getSource('site-radius')?.setData({
    type: 'FeatureCollection',
    features: chosen.map((s, i) => ({
      type: 'Feature',
      properties: { n: i + 1 },
      geometry: { type: 'Polygon', coordinates: [circle(s.lon, s.lat, q.radius)] },
    })),
  });
  chosen.forEach((s, i) => {
    const node = document.createElement('button');
    node.type = 'button';
    node.className = 'site-marker';
    node.dataset.site = String(i + 1);
    node.textContent = String(i + 1);
    node.title = t('siteName', { n: i + 1 });
    node.addEventListener('click', (ev) => {
      ev.stopPropagation();
      showSitePopup(s, i);
    });
    node.addEventListener('mouseenter', () => highlightSite(i + 1, true));
    node.addEventListener('mouseleave', () => highlightSite(i + 1, false));
    siteMarkers.push(new Marker({ element: node }).setLngLat([s.lon, s.lat]).addTo(map));
  });
}

function showSitePopup(s, i) {
  const node = popupNode(t('siteName', { n: i + 1 }), [
    [t('popGain'), `${fmtNumber(s.gain)} ${demandUnit(state.query.kinds)}`],
    ['', t('siteAt', { lat: s.lat.toFixed(4), lon: s.lon.toFixed(4) })],
  ]);
  popup.setLngLat([s.lon, s.lat]).setDOMContent(node).addTo(map);
}

function highlightSite(n, on) {
  for (const node of document.querySelectorAll(`[data-site="${n}"]`)) node.classList.toggle('hot', on);
}

/** Run `fn` once the map has drawn everything queued so far (tiles included). */
function afterRender(fn) {
  map.once('idle', fn);
  map.triggerRepaint();
}

// ---------------------------------------------------------------------------
// Rendering: header, cards, side lists, table, chart

function renderHeader() {
  const d = state.division;
  const name = d?.name ?? state.code ?? '';
  el.countyName.textContent = name || '—';
  el.countyCode.textContent = d ? String(d.code) : '';
  document.title = d ? t('title', { name: d.name }) : t('titlePlain');
  const backCode = d?.code ?? '';
  el.backLink.href = backCode ? `/?code=${encodeURIComponent(backCode)}` : '/';
  const parts = [];
  for (const [i, a] of (d?.lineage ?? []).filter(Boolean).entries()) {
    if (i > 0) {
      const sep = document.createElement('span');
      sep.className = 'sep';
      sep.setAttribute('aria-hidden', 'true');
      sep.textContent = '›';
      parts.push(sep);
    }
    if (String(a.code) === String(d.code)) {
      const cur = document.createElement('span');
      cur.setAttribute('aria-current', 'page');
      cur.textContent = a.name;
      parts.push(cur);
    } else {
      const link = document.createElement('a');
      link.href = `/?code=${encodeURIComponent(a.code)}`;
      link.textContent = a.name;
      parts.push(link);
    }
  }
  el.lineage.replaceChildren(...parts);
}

const CARD_FIELDS = [
  'demand',
  'facilities',
  'capacity',
  'radius_coverage',
  'capacity_coverage',
  'accessibility_mean',
  'no_access_share',
];

function renderCards() {
  const s = state.coverage?.summary;
  const q = state.coverage ? state.renderedQuery : state.query;
  for (const field of CARD_FIELDS) {
    const card = el.cards.querySelector(`[data-field="${field}"]`);
    const v = card.querySelector('.v');
    const u = card.querySelector('.u');
    const note = card.querySelector('.card-note');
    const x = s?.[field];
    if (!s || !Number.isFinite(x)) {
      // A figure the server suppressed for this user: "<5" for the demand, "—" for the rest.
      const hidden = Boolean(s) && (isSuppressed(s) || isSuppressed(state.coverage));
      v.textContent = hidden && field === 'demand' ? suppressedText() : '—';
      markSuppressed(v, hidden);
      u.textContent = '';
      note.textContent = '';
      delete card.dataset.value;
      continue;
    }
    markSuppressed(v, false);
    card.dataset.value = String(x);
    const facility = kindName(q.facility);
    switch (field) {
      case 'demand':
        v.textContent = fmtNumber(x);
        u.textContent = demandUnit(q.kinds);
        note.textContent = t('noteDemand', { kinds: kindsLabel(q.kinds), date: fmtDate(state.coverage.date) });
        break;
      case 'facilities':
        v.textContent = fmtNumber(x);
        u.textContent = t('unitFacilities');
        note.textContent = t('noteFacilities', { facility, radius: fmtNumber(q.radius, q.radius % 1 ? 1 : 0) });
        break;
      case 'capacity':
        v.textContent = fmtNumber(x);
        u.textContent = t('unitPlaces');
        note.textContent = t('noteCapacity', { facility });
        break;
      case 'radius_coverage':
        v.textContent = fmtShare(x);
        u.textContent = '';
        note.textContent = t('noteRadius', {
          covered: fmtNumber(Math.round(x * s.demand)),
          radius: fmtNumber(q.radius, q.radius % 1 ? 1 : 0),
        });
        break;
      case 'capacity_coverage':
        v.textContent = fmtShare(x);
        u.textContent = '';
        note.textContent = t('noteCapacityCov');
        break;
      case 'accessibility_mean':
        v.textContent = fmtAccess(x);
        u.textContent = t('unitPerPerson');
        note.textContent = t('noteAccess', { median: `${fmtAccess(s.accessibility_median)} ${t('unitPerPerson')}` });
        break;
      case 'no_access_share':
        v.textContent = fmtShare(x);
        u.textContent = '';
        note.textContent = t('noteNoAccess', { n: fmtNumber(Math.round(x * s.demand)) });
        break;
      default:
        break;
    }
  }
}

function renderPlan() {
  const plan = state.plan?.plan;
  const q = state.renderedQuery ?? state.query;
  if (!plan) {
    el.baBefore.textContent = '—';
    el.baAfter.textContent = '—';
    el.baBeforeBar.style.width = '0';
    el.baAfterBar.style.width = '0';
    el.baNote.textContent = '';
    el.sites.replaceChildren();
    return;
  }
  el.baBefore.textContent = fmtShare(plan.share_before);
  el.baAfter.textContent = fmtShare(plan.share_after);
  el.baBefore.dataset.value = String(plan.share_before);
  el.baAfter.dataset.value = String(plan.share_after);
  // CSSOM writes are allowed under a strict style-src CSP (no inline style attributes).
  el.baBeforeBar.style.width = `${Math.max(0, Math.min(1, plan.share_before)) * 100}%`;
  el.baAfterBar.style.width = `${Math.max(0, Math.min(1, plan.share_after)) * 100}%`;
  el.baNote.textContent = plan.chosen.length
    ? t('baNote', {
      k: plan.chosen.length,
      gain: fmtNumber(plan.covered_after - plan.covered_before),
      before: fmtShare(plan.share_before),
      after: fmtShare(plan.share_after),
    })
    : '';

  if (plan.chosen.length === 0) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = t('noSites');
    el.sites.replaceChildren(li);
    return;
  }
  const unit = demandUnit(q.kinds);
  let covered = plan.covered_before;
  el.sites.replaceChildren(
    ...plan.chosen.map((s, i) => {
      covered += s.gain;
      const li = document.createElement('li');
      li.className = 'site';
      li.dataset.site = String(i + 1);
      li.dataset.gain = String(s.gain);
      li.tabIndex = 0;
      const badge = document.createElement('span');
      badge.className = 'site-badge';
      badge.textContent = String(i + 1);
      const main = document.createElement('span');
      main.className = 'site-main';
      const gain = document.createElement('b');
      gain.className = 'site-gain';
      gain.textContent = unit === t('unitPersons') ? t('siteGain', { gain: fmtNumber(s.gain) }) : `+${fmtNumber(s.gain)}`;
      const where = document.createElement('small');
      where.textContent = t('siteAt', { lat: s.lat.toFixed(4), lon: s.lon.toFixed(4) });
      main.append(gain, where);
      const cum = document.createElement('span');
      cum.className = 'site-cum';
      cum.textContent = t('siteCum', { share: fmtShare(plan.total_demand > 0 ? covered / plan.total_demand : 0) });
      li.append(badge, main, cum);
      const focus = () => {
        highlightSite(i + 1, true);
      };
      li.addEventListener('mouseenter', focus);
      li.addEventListener('mouseleave', () => highlightSite(i + 1, false));
      li.addEventListener('click', () => {
        map.easeTo({ center: [s.lon, s.lat], zoom: Math.max(map.getZoom(), 11) });
        showSitePopup(s, i);
      });
      li.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          li.click();
        }
      });
      return li;
    }),
  );
}

function renderDeserts() {
  const fc = state.deserts;
  if (!fc) {
    el.desertsSummary.textContent = '';
    el.deserts.replaceChildren();
    return;
  }
  const features = fc.features ?? [];
  const q = state.renderedQuery ?? state.query;
  if (features.length === 0) {
    el.desertsSummary.textContent = t('desertsNone', { min: fmtNumber(q.minDemand) });
    el.deserts.replaceChildren();
    return;
  }
  const total = features.reduce((n, f) => n + (Number(f.properties?.demand) || 0), 0);
  el.desertsSummary.textContent = t('desertsSummary', {
    n: fmtNumber(features.length),
    demand: fmtNumber(total),
    min: fmtNumber(q.minDemand),
  });
  el.deserts.replaceChildren(
    ...features.slice(0, 5).map((f) => {
      const p = f.properties ?? {};
      const li = document.createElement('li');
      li.className = 'desert';
      li.tabIndex = 0;
      li.textContent = t('desertRow', {
        demand: fmtCount(num(p.demand), p),
        nearest: p.nearest_km == null ? t('desertNearestNone') : t('km', { km: fmtNumber(Number(p.nearest_km), 1) }),
      });
      const ring = f.geometry?.coordinates?.[0] ?? [];
      const centre = ring.length
        ? [ring.reduce((a, c) => a + c[0], 0) / ring.length, ring.reduce((a, c) => a + c[1], 0) / ring.length]
        : null;
      li.addEventListener('click', () => {
        if (!centre) return;
        map.easeTo({ center: centre, zoom: Math.max(map.getZoom(), 12) });
        popup.setLngLat(centre).setDOMContent(popupNode(`${t('popDesert')} #${p.rank}`, [
          [t('popDemand'), fmtCount(num(p.demand), p)],
        ])).addTo(map);
      });
      return li;
    }),
  );
}

function renderTable() {
  const table = state.table;
  const q = state.renderedQuery ?? state.query;
  const month = table?.month ?? q?.month;
  el.tableCaption.textContent = state.division && month
    ? t('tableCaption', { name: state.division.name, month: fmtMonth(month) })
    : '';
  if (state.code && q) {
    const base = { parent: state.code, month: q.month };
    const href = (format) => {
      const u = apiUrl('reports/county-table', { ...base, format });
      return u.pathname + u.search;
    };
    el.dlCsv.href = href('csv');
    el.dlXlsx.href = href('xlsx');
  }
  if (!table) {
    el.reportHead.replaceChildren();
    el.reportBody.replaceChildren();
    return;
  }
  const kinds = table.kinds ?? [];
  const headRow = document.createElement('tr');
  const th = (text, cls = '', sub = '') => {
    const cell = document.createElement('th');
    cell.scope = 'col';
    if (cls) cell.className = cls;
    cell.append(text);
    if (sub) {
      const small = document.createElement('small');
      small.textContent = sub;
      cell.append(small);
    }
    return cell;
  };
  headRow.append(th(t('colCode')), th(t('colName')), th(t('colPrefecture')), th(t('colProvince')));
  for (const id of kinds) {
    const k = kindById(id);
    const other = state.lang === 'en' ? k?.name_zh : k?.name_en;
    const cls = ['num', q?.kinds.includes(id) ? 'sel' : '', q?.facility === id ? 'sel-facility' : ''].filter(Boolean).join(' ');
    const cell = th(kindName(id), cls, other ?? '');
    cell.dataset.kind = id;
    headRow.append(cell);
  }
  el.reportHead.replaceChildren(headRow);
  const rows = table.rows ?? [];
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = 4 + kinds.length;
    td.className = 'empty';
    td.textContent = t('noTableRows');
    tr.append(td);
    el.reportBody.replaceChildren(tr);
    return;
  }
  el.reportBody.replaceChildren(
    ...rows.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.code = String(r.code);
      for (const text of [String(r.code), r.name, r.prefecture, r.province]) {
        const td = document.createElement('td');
        td.textContent = text ?? '';
        tr.append(td);
      }
      (r.counts ?? []).forEach((n, i) => {
        const td = document.createElement('td');
        const id = kinds[i];
        td.className = ['num', q?.kinds.includes(id) ? 'sel' : '', q?.facility === id ? 'sel-facility' : ''].filter(Boolean).join(' ');
        td.dataset.kind = id;
        td.textContent = fmtCount(n, r);
        if (!Number.isFinite(n) && isSuppressed(r)) markSuppressed(td);
        tr.append(td);
      });
      return tr;
    }),
  );
}

let chart = null;

/** Axis label: the year on January, the month alone otherwise. */
function shortMonth(ym) {
  if (!MONTH_RE.test(ym ?? '')) return ym ?? '';
  const [y, m] = ym.split('-').map(Number);
  if (m === 1) return fmtMonth(ym);
  return state.lang === 'en' ? EN_MONTHS[m - 1] : `${m}月`;
}
let echartsModule = null;

async function renderTrend() {
  const series = state.series;
  const q = state.renderedQuery ?? state.query;
  if (state.trendError) {
    el.trendCaption.textContent = t('trendFailed', { message: errorText(state.trendError) });
    chart?.clear();
    return;
  }
  if (!series || !q) {
    el.trendCaption.textContent = '';
    return;
  }
  el.trendCaption.textContent = t('trendCaption', {
    kinds: kindsLabel(q.kinds),
    from: fmtMonth(series.from),
    to: fmtMonth(series.to),
  });
  try {
    echartsModule ??= await import('/vendor/echarts.esm.min.mjs');
    if (state.series !== series) return; // superseded while loading
    chart ??= echartsModule.init(el.trend, null, { renderer: 'canvas' });
    const months = series.months ?? [];
    chart.setOption(
      {
        animation: false,
        grid: { left: 56, right: 16, top: 16, bottom: 28 },
        // richText: the tooltip is drawn on the canvas. The HTML tooltip writes style
        // attributes, which a strict CSP (style-src 'self') blocks.
        tooltip: { trigger: 'axis', renderMode: 'richText', valueFormatter: (v, i) => fmtCount(v, months[i]) },
        xAxis: {
          type: 'category',
          data: months.map((m) => m.month),
          axisLabel: {
            formatter: shortMonth,
            // January and July only: the year is always on screen.
            interval: (_, v) => /-(01|07)$/.test(v),
            color: '#52606d',
          },
          axisLine: { lineStyle: { color: '#cbd2d9' } },
        },
        yAxis: {
          type: 'value',
          minInterval: 1,
          axisLabel: { formatter: (v) => fmtNumber(v), color: '#52606d' },
          splitLine: { lineStyle: { color: '#eef0f3' } },
        },
        series: [
          {
            type: 'line',
            name: kindsLabel(q.kinds),
            data: months.map((m) => m.count),
            symbol: 'none',
            lineStyle: { width: 2, color: '#1d4f91' },
            areaStyle: { color: 'rgba(29,79,145,0.10)' },
            markLine: {
              silent: true,
              symbol: 'none',
              label: { show: false },
              lineStyle: { color: '#d7301f', type: 'dashed' },
              data: months.some((m) => m.month === q.month) ? [{ xAxis: q.month }] : [],
            },
          },
        ],
      },
      true,
    );
  } catch (e) {
    el.trendCaption.textContent = t('trendFailed', { message: errorText(e) });
  }
}

// ---------------------------------------------------------------------------
// Errors

function showPageError(err, { title, children } = {}) {
  state.error = { err, title, children };
  renderError();
}

function renderError() {
  const e = state.error;
  if (!e) {
    el.error.hidden = true;
    delete document.body.dataset.error;
    return;
  }
  el.errorTitle.textContent = e.title ? t(e.title) : t('errorTitle');
  el.errorMessage.textContent = typeof e.err === 'string' ? e.err : errorText(e.err);
  const detail = typeof e.err === 'string' ? '' : errorDetail(e.err);
  el.errorDetail.replaceChildren(detail);
  if (e.children?.length) {
    const p = document.createElement('span');
    p.className = 'alert-children';
    p.append(t('chooseChild'), ' ');
    for (const c of e.children) {
      const a = document.createElement('a');
      a.href = `/county/${encodeURIComponent(c.code)}`;
      a.textContent = c.name;
      p.append(a, ' ');
    }
    el.errorDetail.replaceChildren(p);
  }
  el.error.hidden = false;
  document.body.dataset.error = 'true';
}

// ---------------------------------------------------------------------------
// Language

const renderBadge = userBadge($('user-badge'), () => state.lang);

function applyLang() {
  renderBadge();
  document.documentElement.lang = state.lang;
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll('[data-i18n-aria]')) node.setAttribute('aria-label', t(node.dataset.i18nAria));
  for (const btn of document.querySelectorAll('.lang-btn')) btn.setAttribute('aria-pressed', String(btn.dataset.lang === state.lang));
  for (const [cls, key] of [['zoom-in', 'zoomIn'], ['zoom-out', 'zoomOut']]) {
    const btn = document.querySelector(`.maplibregl-ctrl-${cls}`);
    if (btn) {
      btn.title = t(key);
      btn.setAttribute('aria-label', t(key));
    }
  }
  el.engineNote.textContent = t('engine', { version: getVersion() });
  renderHeader();
  if (state.meta) {
    renderKindControls();
    renderMonthHint();
  }
  renderCards();
  renderPlan();
  renderDeserts();
  renderTable();
  renderTrend();
  renderError();
  renderMapStatus();
  for (const m of siteMarkers) {
    const n = m.getElement().dataset.site;
    m.getElement().title = t('siteName', { n });
  }
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

function renderKindControls() {
  const q = state.query;
  el.kindList.replaceChildren(
    ...demandKinds().map((k) => {
      const label = document.createElement('label');
      label.className = 'chip';
      label.dataset.kind = k.id;
      const input = document.createElement('input');
      input.type = 'checkbox';
      input.name = 'kinds';
      input.value = k.id;
      input.checked = q?.kinds.includes(k.id) ?? false;
      const text = document.createElement('span');
      text.textContent = kindName(k);
      label.title = state.lang === 'en' ? k.name_zh : k.name_en;
      label.append(input, text);
      return label;
    }),
  );
  const current = q?.facility;
  el.facility.replaceChildren(
    ...facilityKinds().map((k) => {
      const o = document.createElement('option');
      o.value = k.id;
      o.textContent = kindName(k);
      o.selected = k.id === current;
      return o;
    }),
  );
}

function renderMonthHint(invalid = false) {
  const m = state.meta?.months;
  if (!m) return;
  const vars = { first: fmtMonth(m.first), last: fmtMonth(m.last) };
  el.monthHint.textContent = invalid ? t('monthOutOfRange', vars) : t('monthRange', vars);
  el.monthHint.classList.toggle('invalid', invalid);
}

function syncControls(q) {
  for (const input of el.kindList.querySelectorAll('input[name="kinds"]')) input.checked = q.kinds.includes(input.value);
  el.facility.value = q.facility;
  el.radius.value = String(q.radius);
  el.radiusRange.value = String(Math.min(Number(el.radiusRange.max), Math.max(Number(el.radiusRange.min), q.radius)));
  el.month.value = q.month;
  el.k.value = String(q.k);
  el.minDemand.value = String(q.minDemand);
}

/** The query the controls describe, or null (and a hint) when one is invalid. */
function queryFromControls() {
  const kinds = sortKinds(
    [...el.kindList.querySelectorAll('input[name="kinds"]:checked')].map((i) => i.value),
  );
  const radius = Number(el.radius.value);
  const month = el.month.value;
  const k = Number(el.k.value);
  const minDemand = Number(el.minDemand.value);
  const { first, last } = state.meta.months;
  const monthOk = MONTH_RE.test(month) && month >= first && month <= last;
  renderMonthHint(!monthOk);
  const radiusOk = radius > 0 && radius <= RADIUS_MAX;
  el.radius.setCustomValidity(radiusOk ? '' : t('radiusInvalid', { max: RADIUS_MAX }));
  if (!radiusOk) el.radius.reportValidity();
  const kOk = Number.isInteger(k) && k >= 1 && k <= K_MAX;
  const minOk = el.minDemand.value !== '' && minDemand >= 0 && minDemand <= MIN_DEMAND_MAX;
  if (kinds.length === 0 || !monthOk || !radiusOk || !kOk || !minOk) return null;
  return { kinds, facility: el.facility.value, radius, month, k, minDemand };
}

function onControlsChange() {
  const q = queryFromControls();
  if (!q) return;
  if (state.query && viewKey(q) === viewKey(state.query)) return;
  state.query = q;
  writeUrlQuery(q);
  refresh();
}

function wireControls() {
  window.addEventListener('resize', () => chart?.resize());
  for (const btn of document.querySelectorAll('.lang-btn')) btn.addEventListener('click', () => setLang(btn.dataset.lang));
  $('controls').addEventListener('submit', (e) => e.preventDefault());
  el.kindList.addEventListener('change', (e) => {
    // At least one demand kind stays selected.
    if (!el.kindList.querySelector('input[name="kinds"]:checked')) {
      e.target.checked = true;
      return;
    }
    onControlsChange();
  });
  el.facility.addEventListener('change', onControlsChange);
  el.radiusRange.addEventListener('input', () => { el.radius.value = el.radiusRange.value; });
  el.radiusRange.addEventListener('change', onControlsChange);
  el.radius.addEventListener('change', onControlsChange);
  el.month.addEventListener('change', onControlsChange);
  el.k.addEventListener('change', onControlsChange);
  el.minDemand.addEventListener('change', onControlsChange);
}

// ---------------------------------------------------------------------------
// Loading

let seq = 0;
let abort = null;

function validCoverage(body) {
  const s = body?.summary;
  // Figures suppressed for this user (small counts) come as null.
  const hidden = isSuppressed(s) || isSuppressed(body);
  const ok = (x) => Number.isFinite(x) || (hidden && x === null);
  if (!s || !CARD_FIELDS.every((f) => ok(s[f])) || !Array.isArray(body.cells)) throw malformed(`coverage/${state.code}`);
  return body;
}

function validDeserts(body) {
  if (body?.type !== 'FeatureCollection' || !Array.isArray(body.features)) throw malformed(`coverage/${state.code}/deserts`);
  return body;
}

function validPlan(body) {
  const p = body?.plan;
  const hidden = isSuppressed(p) || isSuppressed(body);
  const ok = (x) => Number.isFinite(x) || (hidden && x === null);
  if (!p || !Array.isArray(p.chosen) || !ok(p.share_before) || !ok(p.share_after)) {
    throw malformed(`coverage/${state.code}/suggest`);
  }
  return body;
}

function validTable(body) {
  if (!Array.isArray(body?.rows) || !Array.isArray(body?.kinds)) throw malformed('reports/county-table');
  return body;
}

/** Fetch and draw everything for state.query; later calls supersede earlier ones. */
async function refresh() {
  const q = state.query;
  const my = ++seq;
  abort?.abort();
  abort = new AbortController();
  const { signal } = abort;
  document.body.classList.add('loading');
  syncControls(q);
  setCoverageSources(q);
  const cov = coverageParams(q);
  const code = encodeURIComponent(state.code);

  // The chart is secondary: it loads on its own and never holds up the page.
  getJSON('stats/series', { code: state.code, kind: q.kinds.join(','), to: q.month }, signal)
    .then((body) => {
      if (my !== seq) return;
      state.series = body;
      state.trendError = null;
      renderTrend();
    })
    .catch((e) => {
      if (e.name === 'AbortError' || my !== seq) return;
      state.series = null;
      state.trendError = e;
      renderTrend();
    });

  try {
    const [coverage, deserts, plan, table] = await Promise.all([
      getJSON(`coverage/${code}`, cov, signal).then(validCoverage),
      getJSON(`coverage/${code}/deserts`, { ...cov, min_demand: String(q.minDemand) }, signal).then(validDeserts),
      getJSON(`coverage/${code}/suggest`, { ...cov, k: String(q.k) }, signal).then(validPlan),
      getJSON('reports/county-table', { parent: state.code, month: q.month }, signal).then(validTable),
    ]);
    if (my !== seq) return;
    Object.assign(state, { coverage, deserts, plan, table, renderedQuery: q, error: null });
    renderError();
    renderCards();
    renderPlan();
    renderDeserts();
    renderTable();
    drawCells(coverage);
    drawDeserts(deserts);
    drawSites(plan.plan, q);
    popup.remove();
    afterRender(() => {
      if (my !== seq) return;
      document.body.classList.remove('loading');
      document.body.dataset.view = viewKey(q);
      document.body.dataset.ready = 'true';
    });
  } catch (e) {
    if (e.name === 'AbortError' || my !== seq) return;
    document.body.classList.remove('loading');
    Object.assign(state, { coverage: null, deserts: null, plan: null, table: null, renderedQuery: q });
    renderCards();
    renderPlan();
    renderDeserts();
    renderTable();
    drawCells(null);
    drawDeserts(null);
    drawSites(null, q);
    showPageError(e);
  }
}

function validateMeta(meta) {
  const m = meta?.months;
  const ok = Array.isArray(meta?.kinds) && meta.kinds.length > 0 && MONTH_RE.test(m?.first ?? '') && MONTH_RE.test(m?.last ?? '');
  if (!ok) throw malformed('meta');
  if (!MONTH_RE.test(m.default ?? '') || m.default < m.first || m.default > m.last) m.default = m.last;
  return meta;
}

async function main() {
  applyLang();
  wireControls();
  window.shikongCounty = { state, layers: LAYERS, viewKey };

  const match = CODE_RE.exec(location.pathname);
  if (!match) {
    showPageError(t('badPath'));
    document.body.classList.add('failed');
    return;
  }
  state.code = decodeURIComponent(match[1]);
  el.countyName.textContent = state.code;

  try {
    const [meta, division] = await Promise.all([
      getJSON('meta').then(validateMeta),
      getJSON(`divisions/${encodeURIComponent(state.code)}`),
      whoAmI(), // the session's suppression threshold, before any figure is drawn
    ]);
    state.meta = meta;
    state.division = division;
    state.code = String(division.code);
    renderHeader();
    if (!division.is_leaf) {
      showPageError(t('notCounty', { name: division.name, code: division.code }), {
        title: 'notCountyTitle',
        children: division.children ?? [],
      });
      document.body.classList.add('failed');
      return;
    }
    state.query = readUrlQuery();
    renderKindControls();
    el.month.min = meta.months.first;
    el.month.max = meta.months.last;
    syncControls(state.query);
    renderMonthHint();
    writeUrlQuery(state.query);

    createMap(division.bbox);
    const boundaryP = getJSON(`divisions/${encodeURIComponent(state.code)}/boundary`, { zoom: 12 });
    const [boundary] = await Promise.all([boundaryP, mapLoaded]);
    addLayers(boundary, state.query);
    if (!Array.isArray(division.bbox)) {
      // No bbox in the division's facts: fit the boundary itself.
      const b = boundsOf(boundary);
      if (b) map.fitBounds(b, { padding: mapPadding(), animate: false });
    }
    applyLang();
    await refresh();
  } catch (e) {
    document.body.classList.add('failed');
    showPageError(e);
  }
}

main();
