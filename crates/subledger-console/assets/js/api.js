// The one way the console talks to the server: the public HTTP API, with the
// token of the signed-in user. Errors keep the API's own code, rule and message.

const TOKEN_KEY = 'subledger.token';

// The token lives in this tab's session storage only: never in a URL (so never
// in a server log or the history), gone when the tab closes.
export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  signOut: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(status, error, requestId) {
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || `HTTP ${status}`;
    this.rule = error.rule || '';
    this.details = error.details;
    this.requestId = requestId || '';
  }
}

export function url(path, params = {}) {
  const u = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, v);
  }
  return u;
}

// Fetches `path` with `params`; resolves to the Response when it is 2xx, throws
// an ApiError otherwise (a body that is not the API's error shape is kept as text).
export async function request(path, params = {}, { method = 'GET', accept = 'application/json', body } = {}) {
  const headers = { Accept: accept };
  const token = session.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(url(path, params), {
      method, headers, cache: 'no-store', credentials: 'omit',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, { code: 'NetworkError', message: `The server could not be reached (${e.message}).` });
  }
  if (res.ok) return res;
  const requestId = res.headers.get('x-request-id');
  const text = await res.text();
  let error;
  try {
    error = JSON.parse(text).error;
  } catch {
    error = undefined;
  }
  if (!error || typeof error !== 'object') {
    error = { code: `HTTP ${res.status}`, message: text.trim() || res.statusText };
  }
  throw new ApiError(res.status, error, requestId);
}

export async function get(path, params = {}) {
  return (await request(path, params)).json();
}

// Every page of a list endpoint (`key` is the array's name), up to `max` items.
export async function getAll(path, params, key, max = 10000) {
  const items = [];
  let cursor;
  let truncated = false;
  for (;;) {
    const page = await get(path, { ...params, limit: 1000, cursor });
    items.push(...page[key]);
    cursor = page.next_cursor;
    if (!cursor) break;
    if (items.length >= max) { truncated = true; break; }
  }
  return { items, truncated };
}

// Saves exactly the bytes of a 2xx answer as a file the browser downloads.
export async function download(path, params, accept, filename) {
  const res = await request(path, params, { accept });
  const blob = await res.blob();
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10000);
  return { bytes: blob.size, nextCursor: res.headers.get('x-next-cursor') };
}
