// Shared by shikong's pages (new pages first; the older ones still carry their own copies):
// the API client with typed errors, language choice and number formats, and the session
// helpers every page uses (401 → sign-in page, the user badge, suppressed small counts).
// Offline, no deps.

export const API_BASE = new URL('/api/v1/', window.location.origin);
const FETCH_TIMEOUT_MS = 120_000;
const LANG_KEY = 'shikong.lang';
const FORBIDDEN = '无权访问（超出本账号的区划范围或权限） / Forbidden (outside your division scope or role)';

/** An API failure with what the server said (its `{error: {code, message, param}}`). */
export class ApiError extends Error {
  constructor(o) {
    super(o.serverMessage || o.network || `HTTP ${o.status}`);
    Object.assign(this, o);
  }
}

async function send(url, init) {
  let res;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (e) {
    throw new ApiError({ url: url.pathname, network: e.name === 'TimeoutError' ? 'timeout' : e.message });
  }
  if (res.status === 401) throw unauthorized(url.pathname);
  let body = null;
  try {
    body = await res.json();
  } catch {
    // not JSON: handled below
  }
  if (!res.ok && !(init?.acceptStatus ?? []).includes(res.status)) {
    const err = body && typeof body === 'object' ? body.error : null;
    const serverMessage = err?.message || (res.status === 403 ? FORBIDDEN : undefined);
    throw new ApiError({ url: url.pathname, status: res.status, code: err?.code, serverMessage, param: err?.param });
  }
  if (body === null || typeof body !== 'object') throw new ApiError({ url: url.pathname, status: res.status, serverMessage: 'malformed response' });
  return { status: res.status, body };
}

/** The URL of an API path with its query (empty and null values left out). */
export function apiUrl(path, params = {}) {
  const url = new URL(path, API_BASE);
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') url.searchParams.set(k, v);
  return url;
}

/** GET JSON. */
export async function getJSON(path, params = {}) {
  return (await send(apiUrl(path, params), { headers: { Accept: 'application/json' } })).body;
}

/** POST a body; `acceptStatus` lists non-2xx statuses that carry a normal answer (e.g. 422). */
export async function post(path, params, body, acceptStatus = []) {
  return send(apiUrl(path, params), { method: 'POST', body, headers: { Accept: 'application/json' }, acceptStatus });
}

/** The page language: saved choice, else the browser's (Chinese first). */
export function initialLang() {
  try {
    const saved = localStorage.getItem(LANG_KEY);
    if (saved === 'zh-CN' || saved === 'en') return saved;
  } catch {
    // storage off
  }
  return (navigator.language || '').toLowerCase().startsWith('zh') || !navigator.language ? 'zh-CN' : 'en';
}

export function saveLang(lang) {
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    // not saved; fine
  }
}

/** A translator over `strings[lang]`: `{name}` placeholders filled from `vars`. */
export function translator(strings, getLang) {
  return (key, vars = {}) => {
    const s = strings[getLang()]?.[key] ?? strings['zh-CN'][key] ?? key;
    return typeof s === 'string' ? s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`)) : s;
  };
}

export function fmtInt(n, lang) {
  return Number.isFinite(n) ? Math.round(n).toLocaleString(lang === 'en' ? 'en-US' : 'zh-CN') : '—';
}

/** A share as a percentage, rounded down to 0.1 (100.0% only when whole). */
export function fmtShare(x) {
  return Number.isFinite(x) ? `${(Math.floor(x * 1000) / 10).toFixed(1)}%` : '—';
}

/** Makes an element: `el('td', {class: 'num'}, 'text', child…)`. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
}

// ---------------------------------------------------------------------------
// Session. The server answers 401 to any /api or /tiles request without a valid session
// cookie: the page then goes to the sign-in page, which comes back here afterwards.

const ROLE_NAMES = {
  'zh-CN': { viewer: '查看', caseworker: '经办', admin: '管理' },
  en: { viewer: 'viewer', caseworker: 'caseworker', admin: 'admin' },
};
const BADGE_STRINGS = {
  'zh-CN': { signOut: '退出', signIn: '登录', public: '公开汇总视图', user: '当前用户' },
  en: { signOut: 'Sign out', signIn: 'Sign in', public: 'Public view', user: 'Signed in as' },
};
const SIGNED_OUT = '登录已失效，正在转到登录页… / Session ended, going to the sign-in page…';

/** `/login?next=<this page's path and query>`. */
export function loginUrl(next = window.location.pathname + window.location.search) {
  return `/login?next=${encodeURIComponent(next)}`;
}

let leaving = false;

/** Leave for the sign-in page (once, however many requests fail at the same time). */
export function redirectToLogin() {
  if (leaving) return;
  leaving = true;
  window.location.assign(loginUrl());
}

/** The error of a 401 answer; the page is already on its way to the sign-in page. */
export function unauthorized(url) {
  redirectToLogin();
  return new ApiError({ url, status: 401, code: 'unauthorized', serverMessage: SIGNED_OUT });
}

// Small counts shown to viewers and the public view are suppressed by the server: the
// count is null and the row (or tile feature) carries `suppressed: true`.
let suppressBelow = 5;
export const SUPPRESSED_TITLE = '小数抑制：小于阈值的数或为防推算而一并隐藏的数 / suppressed: a small count, or one hidden so that it cannot be worked out by subtraction';

/** What a suppressed count shows: "*" — the value is a small count (below the threshold)
 * or a complementary one (any size), so "<5" would not always be true. */
export function suppressedText() {
  return '*';
}

/** The suppression threshold (for legends: "* = 1–4 或互补隐藏"). */
export function suppressThreshold() {
  return suppressBelow;
}

/** Whether a row or a tile feature's properties carry `suppressed: true`. */
export function isSuppressed(x) {
  const s = x?.suppressed;
  return s === true || (typeof s === 'string' && s !== '' && s !== 'false');
}

/** `fmt(v)` for a number; "<5" for a missing value of a suppressed row; else "—". */
export function fmtCount(v, row, fmt = (n) => String(n)) {
  if (Number.isFinite(v)) return fmt(v);
  return isSuppressed(row) ? suppressedText() : '—';
}

/** Mark `node` as holding a suppressed value (title and class), or unmark it. */
export function markSuppressed(node, on = true) {
  node.classList.toggle('suppressed', on);
  if (on) node.title = SUPPRESSED_TITLE;
  else if (node.title === SUPPRESSED_TITLE) node.removeAttribute('title');
  return node;
}

let session = null;
let sessionRequest = null;

/**
 * GET /auth/me once: `{name, role, scope: {code, name}, suppress_below, public}`, or null
 * when the server has no such route (or it failed). A 401 goes to the sign-in page.
 */
export function whoAmI() {
  sessionRequest ??= (async () => {
    let res;
    try {
      res = await fetch('/auth/me', { headers: { Accept: 'application/json' }, cache: 'no-store', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    } catch {
      return null;
    }
    if (res.status === 401) {
      redirectToLogin();
      return null;
    }
    if (!res.ok) return null;
    const body = await res.json().catch(() => null);
    if (!body || typeof body !== 'object') return null;
    session = body;
    if (Number.isFinite(body.suppress_below) && body.suppress_below > 0) suppressBelow = body.suppress_below;
    return body;
  })();
  return sessionRequest;
}

const ROLE_RANK = { viewer: 0, caseworker: 1, admin: 2 };

/**
 * Whether the signed-in user has at least `role` (viewer < caseworker < admin; the public
 * view is a viewer). True while unknown: the server decides, and answers 403 otherwise.
 */
export function hasRole(role, me = session) {
  if (!me) return true;
  const rank = me.public ? 0 : ROLE_RANK[me.role] ?? 0;
  return rank >= (ROLE_RANK[role] ?? 0);
}

/** The division scope code of the signed-in user ("000000" = the whole country), or null. */
export function scopeCode(me = session) {
  const code = me?.scope?.code;
  return code === undefined || code === null ? null : String(code).padStart(6, '0');
}

/** POST /auth/logout, then the sign-in page. */
export async function signOut() {
  try {
    await fetch('/auth/logout', { method: 'POST', signal: AbortSignal.timeout(10_000) });
  } catch {
    // signed out or not, the sign-in page comes next
  }
  leaving = true;
  window.location.assign('/login');
}

/**
 * Fill `host` (an empty, hidden element in the page header) with the user badge:
 * "name · role · scope" and a sign-out button ("public view · sign in" for the anonymous
 * public view). Returns `render()`, to call again when the language changes.
 */
export function userBadge(host, getLang) {
  const render = () => {
    const me = session;
    if (!host || !me) return;
    const lang = getLang() === 'en' ? 'en' : 'zh-CN';
    const s = BADGE_STRINGS[lang];
    const scope = me.scope?.name || scopeCode(me) || '';
    const parts = me.public ? [s.public, scope] : [me.name, ROLE_NAMES[lang][me.role] ?? me.role, scope];
    const text = el('span', { class: 'user-text', title: me.public ? null : `${s.user} ${me.name ?? ''}` }, parts.filter(Boolean).join(' · '));
    let action;
    if (me.public) {
      action = el('a', { class: 'user-action', href: loginUrl() }, s.signIn);
    } else {
      action = el('button', { type: 'button', class: 'user-action', id: 'sign-out' }, s.signOut);
      action.addEventListener('click', () => {
        action.disabled = true;
        signOut();
      });
    }
    host.replaceChildren(text, action);
    // The governance page is for administrators: no link to it for anyone else.
    for (const a of document.querySelectorAll('a[href="/governance"]')) a.hidden = !hasRole('admin', me);
    host.dataset.role = me.public ? 'public' : me.role ?? '';
    host.hidden = false;
  };
  whoAmI().then(render);
  return render;
}
