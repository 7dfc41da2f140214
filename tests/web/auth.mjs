// Sign-in helpers for the browser tests (tests/web/*.mjs).
//
// The server under test requires a session: every /api and /tiles request needs the
// `shikong_session` cookie (or `Authorization: Bearer <token>`), and the pages redirect to
// /login without one. The test runner passes an admin access token in the environment
// variable SHIKONG_TOKEN.
//
//   import { apiFetch, login } from './auth.mjs';
//   const res = await apiFetch(new URL('api/v1/meta', base));   // Node-side API call
//   const context = await browser.newContext({...});
//   await login(context, base);                                  // before its first page

export const SESSION_COOKIE = 'shikong_session';

function token() {
  const t = process.env.SHIKONG_TOKEN;
  if (!t) throw new Error('SHIKONG_TOKEN is not set (the access token the tests sign in with)');
  return t;
}

/** `{Authorization: 'Bearer <SHIKONG_TOKEN>'}`. */
export function authHeaders() {
  return { Authorization: `Bearer ${token()}` };
}

/** Node's fetch with the bearer token added to the request's headers. */
export function apiFetch(url, init = {}) {
  const headers = new Headers(init.headers ?? {});
  for (const [k, v] of Object.entries(authHeaders())) headers.set(k, v);
  return fetch(url, { ...init, headers });
}

const sessions = new Map(); // origin -> Promise of the session cookie's value

/**
 * POST /auth/login from Node with the token, once per server (a sign-in per browser
 * context would count against the server's attempt limit); the session cookie's value.
 */
export function sessionCookie(base) {
  const origin = new URL(base).origin;
  if (!sessions.has(origin)) {
    const p = (async () => {
      const res = await fetch(new URL('/auth/login', origin), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', Origin: origin },
        body: JSON.stringify({ token: token() }),
        redirect: 'manual',
      });
      if (!res.ok) {
        const body = await res.text().catch(() => '');
        throw new Error(`POST /auth/login: HTTP ${res.status} ${body.slice(0, 200)}`);
      }
      const lines = typeof res.headers.getSetCookie === 'function'
        ? res.headers.getSetCookie()
        : [res.headers.get('set-cookie') ?? ''];
      for (const line of lines) {
        const m = new RegExp(`(?:^|,\\s*)${SESSION_COOKIE}=([^;,\\s]*)`).exec(line);
        if (m && m[1]) return m[1];
      }
      throw new Error(`POST /auth/login: HTTP ${res.status} without a ${SESSION_COOKIE} cookie`);
    })();
    p.catch(() => sessions.delete(origin)); // a failure is not kept: the next call retries
    sessions.set(origin, p);
  }
  return sessions.get(origin);
}

/** Sign a Playwright browser context in: the session cookie, as the server set it. */
export async function login(context, base) {
  const value = await sessionCookie(base);
  const url = new URL(base);
  await context.addCookies([
    {
      name: SESSION_COOKIE,
      value,
      url: url.origin,
      httpOnly: true,
      secure: url.protocol === 'https:',
      sameSite: 'Strict',
    },
  ]);
  return value;
}

/** Node's fetch of a page route (not /api): with the session cookie, which pages ask for. */
export async function pageFetch(url, base, init = {}) {
  const headers = new Headers(init.headers ?? {});
  headers.set('Cookie', `${SESSION_COOKIE}=${await sessionCookie(base ?? url)}`);
  return fetch(url, { ...init, headers });
}
