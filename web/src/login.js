// shikong — sign-in page (/login). Posts the access token to /auth/login as JSON; the
// server answers 204 with an HttpOnly session cookie, and the page goes on to `?next=`
// (a path of this site only). Deliberately standalone — no import — so that it needs no
// file but login.html, login.css and this one, all public.
//
// Test hooks: #token, #submit, #login-error (shown with the reason of a refusal),
// body[data-state] = "ready" | "sending" | "refused" | "done".

const LANG_KEY = 'shikong.lang';

const STRINGS = {
  'zh-CN': {
    docTitle: 'shikong 时空 · 登录',
    title: '登录',
    sub: '民政服务对象时空分析',
    formTitle: '使用访问令牌登录',
    token: '访问令牌',
    submit: '登录',
    sending: '正在登录…',
    note: '访问令牌由管理员使用 shikong user add 签发。',
    empty: '请输入访问令牌',
    invalid: '令牌无效或已停用',
    tooMany: '尝试次数过多，请稍后再试',
    tooManyWait: '尝试次数过多，请 {n} 秒后再试',
    failed: '登录失败（HTTP {status}）',
    network: '无法连接服务器，请稍后再试',
  },
  en: {
    docTitle: 'shikong 时空 · Sign in',
    title: 'Sign in',
    sub: 'Civil-affairs service recipients',
    formTitle: 'Sign in with an access token',
    token: 'Access token',
    submit: 'Sign in',
    sending: 'Signing in…',
    note: 'Access tokens are issued by an administrator with shikong user add.',
    empty: 'Enter an access token',
    invalid: 'Invalid or revoked token',
    tooMany: 'Too many attempts; try again later',
    tooManyWait: 'Too many attempts; try again in {n} s',
    failed: 'Sign-in failed (HTTP {status})',
    network: 'Cannot reach the server; try again later',
  },
};

function initialLang() {
  try {
    const saved = localStorage.getItem(LANG_KEY);
    if (saved === 'zh-CN' || saved === 'en') return saved;
  } catch {
    // storage off
  }
  return 'zh-CN';
}

const state = { lang: initialLang(), error: null, sending: false };
const $ = (id) => document.getElementById(id);
const form = $('login-form');
const tokenInput = $('token');
const submit = $('submit');
const errorLine = $('login-error');

function t(key, vars = {}) {
  const s = STRINGS[state.lang][key] ?? STRINGS['zh-CN'][key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}

/**
 * Where to go after signing in: `?next=` when it is a path of this site ("/…" but not
 * "//…" or "/\…", which browsers read as another host), else the map page.
 */
function nextPath() {
  const next = new URLSearchParams(window.location.search).get('next');
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  let url;
  try {
    url = new URL(next, window.location.origin);
  } catch {
    return '/';
  }
  // Tabs and newlines are dropped by the URL parser ("/\t/host"): check where it really goes.
  if (url.origin !== window.location.origin || url.pathname === '/login') return '/';
  return url.pathname + url.search + url.hash;
}

/** The refusal shown under the field: `{key, vars}` or null. */
function showError(error) {
  state.error = error;
  errorLine.textContent = error ? t(error.key, error.vars) : '';
  errorLine.hidden = !error;
  tokenInput.setAttribute('aria-invalid', String(Boolean(error)));
}

function setSending(on) {
  state.sending = on;
  submit.disabled = on;
  submit.textContent = t(on ? 'sending' : 'submit');
  document.body.dataset.state = on ? 'sending' : state.error ? 'refused' : 'ready';
}

async function signIn(event) {
  event.preventDefault();
  if (state.sending) return;
  const token = tokenInput.value.trim();
  if (!token) {
    showError({ key: 'empty' });
    setSending(false);
    tokenInput.focus();
    return;
  }
  showError(null);
  setSending(true);
  let res;
  try {
    res = await fetch('/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ token }),
      credentials: 'same-origin',
      cache: 'no-store',
      signal: AbortSignal.timeout(30_000),
    });
  } catch {
    showError({ key: 'network' });
    setSending(false);
    return;
  }
  if (res.ok) {
    tokenInput.value = '';
    document.body.dataset.state = 'done';
    window.location.replace(nextPath());
    return;
  }
  if (res.status === 401) {
    showError({ key: 'invalid' });
  } else if (res.status === 429) {
    const wait = Number.parseInt(res.headers.get('Retry-After') ?? '', 10);
    showError(Number.isFinite(wait) && wait > 0 ? { key: 'tooManyWait', vars: { n: wait } } : { key: 'tooMany' });
  } else {
    showError({ key: 'failed', vars: { status: res.status } });
  }
  setSending(false);
  tokenInput.focus();
  tokenInput.select();
}

function applyLang() {
  document.documentElement.lang = state.lang;
  document.title = t('docTitle');
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const b of document.querySelectorAll('.lang-btn')) b.setAttribute('aria-pressed', String(b.dataset.lang === state.lang));
  submit.textContent = t(state.sending ? 'sending' : 'submit');
  showError(state.error);
}

for (const b of document.querySelectorAll('.lang-btn')) {
  b.addEventListener('click', () => {
    state.lang = b.dataset.lang === 'en' ? 'en' : 'zh-CN';
    try {
      localStorage.setItem(LANG_KEY, state.lang);
    } catch {
      // not saved; fine
    }
    applyLang();
  });
}
form.addEventListener('submit', signIn);
applyLang();
submit.disabled = false;
document.body.dataset.state = 'ready';
