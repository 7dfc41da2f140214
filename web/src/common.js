// Shared by shikong's pages (new pages first; the older ones still carry their own copies):
// the API client with typed errors, language choice and number formats. Offline, no deps.

export const API_BASE = new URL('/api/v1/', window.location.origin);
const FETCH_TIMEOUT_MS = 120_000;
const LANG_KEY = 'shikong.lang';

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
  let body = null;
  try {
    body = await res.json();
  } catch {
    // not JSON: handled below
  }
  if (!res.ok && !(init?.acceptStatus ?? []).includes(res.status)) {
    const err = body && typeof body === 'object' ? body.error : null;
    throw new ApiError({ url: url.pathname, status: res.status, code: err?.code, serverMessage: err?.message, param: err?.param });
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
