// shikong — data governance page (/governance): upload a file as a batch (multipart, the
// server validates every row and lands all or nothing), the batch ledger with each batch's
// problem report (问题数据反馈), 部省对账, quality scores per province and 数据比对 — all from
// the shikong API of the same origin.

import {
  apiUrl, fmtCount, fmtInt, fmtShare, getJSON, initialLang, isSuppressed, markSuppressed, post, saveLang, translator, userBadge, whoAmI, el,
} from './common.js';

const STRINGS = {
  'zh-CN': {
    docTitle: '数据治理 — 时空 shikong',
    title: '数据治理',
    sub: '数据上报、问题数据反馈、部省对账、数据质量与数据比对',
    month: '统计月份',
    toDashboard: '一屏管理',
    uploadTitle: '数据上报',
    kind: '类别',
    province: '申报省份',
    anyProvince: '（不限）',
    slice: '所属月份',
    crs: '坐标系',
    replace: '替换该省该月已上报数据',
    file: '文件（CSV / Excel / GeoJSON / Parquet）',
    checkOnly: '仅校验（预检）',
    checkedOk: '预检通过：可以入库（未存储）',
    checkedBad: '预检发现错误（未存储）',
    submit: '校验并入库',
    contractHint: '字段约定见 datasets/contracts；任何一行有错误则整批不入库，并给出问题数据清单。',
    committed: '已入库',
    duplicate: '同一文件此前已入库（批次 {id}），未重复入库',
    rejected: '被拒绝：有错误行，整批未入库',
    resultRows: '共 {total} 行，入库 {accepted} 行，错误 {rejected} 行，提示 {flagged} 行',
    downloadCsv: '下载 CSV',
    downloadXlsx: '下载 XLSX',
    batchesTitle: '批次台账',
    colBatch: '批次', colFile: '文件', colStatus: '状态', colRows: '行数', colAccepted: '入库',
    colRejected: '错误行', colFlagged: '提示行', colReport: '问题清单',
    reconTitle: '部省对账',
    colDeclared: '申报数', colReceived: '接收数', colDiff: '差异', colOther: '跨省重复', colChecksum: '校验和',
    reconSummary: '相符 {matched} · 缺报 {missing} · 多报 {extra} · 校验不符 {checksum_mismatch} · 未申报 {undeclared}',
    reconNone: '本月尚无省份申报（已接收 {n} 项）。申报：POST /api/v1/declarations 或 shikong declare。',
    qualityTitle: '数据质量',
    colDivision: '区划', colScore: '得分', colRecords: '记录数',
    dimCompleteness: '完整性', dimValidity: '有效性', dimUniqueness: '唯一性', dimAgreement: '一致性', dimTimeliness: '及时性',
    compareTitle: '数据比对',
    overlap: '同时享受低保和特困供养的人员',
    duplicate_dibao: '低保重复在册（同一人多条记录）',
    duplicate_other_province: '其中跨省重复',
    status: { committed: '已入库', rejected: '已拒绝', replaced: '已替换', running: '进行中', interrupted: '已中断',
      matched: '相符', missing: '缺报', extra: '多报', checksum_mismatch: '校验不符', undeclared: '未申报' },
    errorPrefix: '加载失败：',
  },
  en: {
    docTitle: 'Data governance — shikong',
    title: 'Data governance',
    sub: 'Uploads, problem-data feedback, reconciliation, data quality and cross-dataset comparison',
    month: 'Month',
    toDashboard: 'Dashboard',
    uploadTitle: 'Upload a batch',
    kind: 'Category',
    province: 'Declaring province',
    anyProvince: '(any)',
    slice: 'Slice month',
    crs: 'Coordinates',
    replace: "Replace the province's earlier upload for the month",
    file: 'File (CSV / Excel / GeoJSON / Parquet)',
    checkOnly: 'Check only',
    checkedOk: 'Check passed: the file would land (nothing stored)',
    checkedBad: 'Check found errors (nothing stored)',
    submit: 'Validate and load',
    contractHint: 'Columns: datasets/contracts. One row in error rejects the whole file, with the list of problem rows.',
    committed: 'Loaded',
    duplicate: 'The same file was already loaded (batch {id}); nothing loaded again',
    rejected: 'Rejected: rows in error, nothing loaded',
    resultRows: '{total} rows: {accepted} loaded, {rejected} in error, {flagged} with findings',
    downloadCsv: 'CSV',
    downloadXlsx: 'XLSX',
    batchesTitle: 'Batch ledger',
    colBatch: 'Batch', colFile: 'File', colStatus: 'Status', colRows: 'Rows', colAccepted: 'Loaded',
    colRejected: 'Errors', colFlagged: 'Findings', colReport: 'Problems',
    reconTitle: 'Reconciliation',
    colDeclared: 'Declared', colReceived: 'Received', colDiff: 'Difference', colOther: 'In other provinces', colChecksum: 'Checksum',
    reconSummary: 'matched {matched} · missing {missing} · extra {extra} · checksum {checksum_mismatch} · undeclared {undeclared}',
    reconNone: 'No province has declared this month yet ({n} lines received). Declare: POST /api/v1/declarations or shikong declare.',
    qualityTitle: 'Data quality',
    colDivision: 'Division', colScore: 'Score', colRecords: 'Records',
    dimCompleteness: 'Complete', dimValidity: 'Valid', dimUniqueness: 'Unique', dimAgreement: 'Located', dimTimeliness: 'Timely',
    compareTitle: 'Comparison',
    overlap: 'People on both 低保 and 特困 support',
    duplicate_dibao: '低保 recipients held twice',
    duplicate_other_province: 'of which in another province',
    status: { committed: 'committed', rejected: 'rejected', replaced: 'replaced', running: 'running', interrupted: 'interrupted',
      matched: 'matched', missing: 'missing', extra: 'extra', checksum_mismatch: 'checksum', undeclared: 'undeclared' },
    errorPrefix: 'Failed to load: ',
  },
};

const state = { lang: initialLang(), meta: null, provinces: [], month: null, loads: 0 };
const t = translator(STRINGS, () => state.lang);
const $ = (id) => document.getElementById(id);
const num = (n) => fmtInt(n, state.lang);
const statusName = (s) => STRINGS[state.lang].status[s] ?? s;
const kindName = (id) => {
  const k = state.meta?.kinds.find((x) => x.id === id);
  return k ? (state.lang === 'en' ? k.name_en : k.name_zh) : id ?? '—';
};
const provinceName = (code) => state.provinces.find((p) => Number(p.code) === Number(code))?.name ?? (code ? String(code) : '—');

function showError(e) {
  const box = $('error');
  box.textContent = e ? `${t('errorPrefix')}${e.message}` : '';
  box.hidden = !e;
}

function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

// ---------------------------------------------------------------------------

async function loadBatches() {
  const { batches } = await getJSON('batches', { limit: 50 });
  fill(
    $('batches').tBodies[0],
    batches.map((b) =>
      el('tr', { dataset: { batch: b.batch_id, status: b.status } },
        el('td', {}, b.batch_id),
        el('td', { title: b.checksum ?? '' }, b.file_name ?? b.description ?? b.source),
        el('td', {}, kindName(b.kind)),
        el('td', {}, b.province_code ? provinceName(b.province_code) : '—'),
        el('td', {}, statusName(b.status)),
        el('td', { class: 'num' }, num(b.rows_total)),
        el('td', { class: 'num' }, num(b.rows_accepted)),
        el('td', { class: 'num' }, num(b.rows_rejected)),
        el('td', { class: 'num' }, num(b.rows_flagged)),
        el('td', {}, b.rows_rejected + b.rows_flagged > 0
          ? [el('a', { href: apiUrl(`batches/${b.batch_id}/problems`, { format: 'csv' }).href }, 'CSV'), ' ',
             el('a', { href: apiUrl(`batches/${b.batch_id}/problems`, { format: 'xlsx' }).href }, 'XLSX')]
          : '—'),
      ),
    ),
  );
}

async function loadReconciliation() {
  const r = await getJSON('reconciliation', { month: state.month });
  const counts = { matched: 0, missing: 0, extra: 0, checksum_mismatch: 0, undeclared: 0, ...r.summary };
  const declared = r.rows.filter((row) => row.status !== 'undeclared');
  $('recon-summary').textContent = declared.length ? t('reconSummary', counts) : t('reconNone', { n: num(r.rows.length) });
  $('recon-csv').href = apiUrl('reconciliation', { month: state.month, format: 'csv' }).href;
  fill(
    $('recon').tBodies[0],
    declared.map((row) =>
      el('tr', { dataset: { status: row.status } },
        el('td', {}, row.province_name || row.province_code),
        el('td', {}, kindName(row.kind)),
        el('td', { class: 'num' }, num(row.declared)),
        el('td', { class: 'num' }, num(row.received)),
        el('td', { class: 'num' }, row.difference === null ? '—' : num(row.difference)),
        el('td', { class: 'num' }, num(row.in_other_provinces)),
        el('td', {}, row.checksum_match === null ? '—' : row.checksum_match ? '✓' : '✗'),
        el('td', {}, statusName(row.status)),
      ),
    ),
  );
}

async function loadQuality() {
  const q = await getJSON('quality', { month: state.month, level: 'province' });
  $('quality-total').textContent = Number.isFinite(q.total.score) ? q.total.score.toFixed(1) : '—';
  fill(
    $('quality').tBodies[0],
    q.divisions.map((d) =>
      el('tr', { dataset: { code: d.code } },
        el('td', {}, d.name || d.code),
        el('td', { class: 'num' }, Number.isFinite(d.score) ? d.score.toFixed(1) : '—'),
        ...['completeness', 'validity', 'uniqueness', 'agreement', 'timeliness'].map((k) => el('td', { class: 'num' }, fmtShare(d[k]))),
        recordsCell(d),
      ),
    ),
  );
}

/** A division's record count; "<5" when the server suppressed it. */
function recordsCell(d) {
  const v = d.counts?.records;
  const td = el('td', { class: 'num' }, fmtCount(v, d, num));
  return Number.isFinite(v) || !isSuppressed(d) ? td : markSuppressed(td);
}

async function loadComparisons() {
  const [overlap, dup] = await Promise.all([
    getJSON('compare', { check: 'overlap', kind: 'dibao', other: 'tekun', month: state.month, limit: 1 }),
    getJSON('compare', { check: 'duplicate', kind: 'dibao', month: state.month, limit: 1 }),
  ]);
  const item = (label, n, params) =>
    el('li', {}, el('span', {}, label), el('span', {},
      el('span', { class: 'n' }, num(n)), ' ',
      el('a', { href: apiUrl('compare', { ...params, month: state.month, format: 'csv' }).href }, t('downloadCsv'))));
  fill($('compare'), [
    item(t('overlap'), overlap.total, { check: 'overlap', kind: 'dibao', other: 'tekun' }),
    item(t('duplicate_dibao'), dup.total, { check: 'duplicate', kind: 'dibao' }),
    el('li', {}, el('span', {}, t('duplicate_other_province')), el('span', { class: 'n' }, num(dup.scope?.other_province ?? 0))),
  ]);
}

async function loadAll() {
  const seq = ++state.loads;
  document.body.dataset.ready = 'false';
  try {
    await Promise.all([loadBatches(), loadReconciliation(), loadQuality(), loadComparisons()]);
    if (seq !== state.loads) return;
    showError(null);
    document.body.dataset.ready = 'true';
    document.body.dataset.month = state.month;
  } catch (e) {
    if (seq === state.loads) showError(e);
  }
}

// ---------------------------------------------------------------------------
// Upload

async function upload(event) {
  event.preventDefault();
  const file = $('up-file').files[0];
  if (!file) return;
  const params = {
    kind: $('up-kind').value,
    province: $('up-province').value,
    month: $('up-month').value,
    crs: $('up-crs').value,
    replace: $('up-replace').checked ? 'true' : null,
  };
  // 预检: the same validation and report, nothing stored.
  const checkOnly = event.submitter?.id === 'up-check';
  if (checkOnly) {
    params.check = 'true';
    params.replace = null;
  }
  const form = new FormData();
  form.append('file', file, file.name);
  const box = $('upload-result');
  $('up-submit').disabled = true;
  $('up-check').disabled = true;
  box.replaceChildren();
  try {
    const { status, body } = await post('batches', params, form, [422]);
    const b = body.batch;
    const [cls, text] = body.duplicate_of
      ? ['warn', t('duplicate', { id: body.duplicate_of })]
      : b.status === 'checked'
        ? (status === 200 ? ['ok', t('checkedOk')] : ['bad', t('checkedBad')])
        : status === 201 ? ['ok', t('committed')] : ['bad', t('rejected')];
    const reasons = (body.summary ?? []).map((s) => el('li', {}, `${s.code} · ${state.lang === 'en' ? s.message_en : s.message_zh} · ${num(s.count)}`));
    box.replaceChildren(
      el('p', { class: `status ${cls}`, dataset: { status: b.status } }, `${text}（${t('colBatch')} ${b.batch_id}）`),
      el('p', {}, t('resultRows', { total: num(b.rows_total), accepted: num(b.rows_accepted), rejected: num(b.rows_rejected), flagged: num(b.rows_flagged) })),
      reasons.length ? el('ul', {}, reasons) : null,
      reasons.length
        ? el('p', {},
          el('a', { href: apiUrl(`batches/${b.batch_id}/problems`, { format: 'csv' }).href }, t('downloadCsv')), ' · ',
          el('a', { href: apiUrl(`batches/${b.batch_id}/problems`, { format: 'xlsx' }).href }, t('downloadXlsx')))
        : null,
    );
    await loadAll();
    box.dataset.batch = b.batch_id;
  } catch (e) {
    box.replaceChildren(el('p', { class: 'status bad' }, e.param ? `${e.param}: ${e.message}` : e.message));
  } finally {
    $('up-submit').disabled = false;
    $('up-check').disabled = false;
  }
}

// ---------------------------------------------------------------------------

const renderBadge = userBadge($('user-badge'), () => state.lang);

function applyLang() {
  renderBadge();
  document.documentElement.lang = state.lang;
  document.title = t('docTitle');
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const b of document.querySelectorAll('.lang-btn')) b.setAttribute('aria-pressed', String(b.dataset.lang === state.lang));
  fillSelects();
  if (state.meta) loadAll();
}

function fillSelects() {
  if (!state.meta) return;
  const kind = $('up-kind').value;
  $('up-kind').replaceChildren(...state.meta.kinds.map((k) => el('option', { value: k.id }, state.lang === 'en' ? k.name_en : k.name_zh)));
  if (kind) $('up-kind').value = kind;
  const province = $('up-province').value;
  $('up-province').replaceChildren(el('option', { value: '' }, t('anyProvince')), ...state.provinces.map((p) => el('option', { value: p.code }, p.name)));
  $('up-province').value = province;
}

async function start() {
  for (const b of document.querySelectorAll('.lang-btn')) {
    b.addEventListener('click', () => {
      state.lang = b.dataset.lang;
      saveLang(state.lang);
      applyLang();
    });
  }
  $('upload').addEventListener('submit', upload);
  $('month').addEventListener('change', () => {
    if (/^\d{4}-\d{2}$/.test($('month').value)) {
      state.month = $('month').value;
      loadAll();
    }
  });
  try {
    // The session too (its suppression threshold), before any figure is drawn.
    const [meta, provinces] = await Promise.all([getJSON('meta'), getJSON('divisions', { level: 'province' }), whoAmI()]);
    state.meta = meta;
    state.provinces = provinces.divisions.map((d) => ({ code: String(d.code), name: d.name }));
    state.month = new URLSearchParams(window.location.search).get('month') || meta.months.last;
    $('month').value = state.month;
    $('month').min = meta.months.first;
    $('month').max = meta.months.last;
    applyLang();
  } catch (e) {
    showError(e);
  }
}

start();
