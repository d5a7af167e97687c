// The console's shell: sign-in, the hash router (`#/page/arg?query`), and the
// page frame (busy state, errors). Pages are modules with `render(main, route)`.

import { session, get } from './api.js';
import { h, clear, errorBox, field } from './dom.js';
import * as keyAccess from './pages/key_access.js';
import * as customers from './pages/customers.js';
import * as customer from './pages/customer.js';
import * as subscription from './pages/subscription.js';
import * as ledger from './pages/ledger.js';

const PAGES = {
  'key-access': keyAccess,
  customers,
  customer,
  subscription,
  ledger,
};

const main = document.getElementById('page');
const nav = document.getElementById('nav');
const whoami = document.getElementById('whoami');
const signout = document.getElementById('signout');

export function parseRoute(hash) {
  const raw = hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  const [name, ...args] = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { name: name || 'key-access', args, params: new URLSearchParams(query) };
}

// Changes the URL's query for the current page without adding a step per keystroke.
export function setQuery(name, args, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const path = [name, ...args].map(encodeURIComponent).join('/');
  const hash = `#/${path}${q.toString() ? `?${q}` : ''}`;
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

function signInForm(error) {
  nav.hidden = true;
  signout.hidden = true;
  whoami.textContent = '';
  const token = h('input', {
    id: 'token', name: 'token', type: 'password', required: true, autocomplete: 'off',
    spellcheck: 'false', 'aria-describedby': 'token-help',
  });
  const form = h('form', { id: 'signin', class: 'signin panel', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in'),
    field('Bearer token', token, 'wide'),
    h('p', { id: 'token-help', class: 'muted' },
      'A token of the server\'s auth file (auth.json). It is kept in this tab only, '
      + 'never in the address bar, and sent to this server alone.'),
    h('button', { id: 'signin-submit', type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = token.value.trim();
    if (!value) return;
    session.signIn(value);
    // Any authenticated read checks the token; the catalog is open to every role.
    try {
      await get('/v1/catalog');
    } catch (err) {
      session.signOut();
      show(signInForm(err));
      return;
    }
    if (!location.hash || location.hash === '#' || location.hash.startsWith('#/signin')) {
      location.hash = '#/key-access';
    } else {
      route();
    }
  });
  const nodes = [form];
  if (error) nodes.unshift(errorBox(error));
  queueMicrotask(() => token.focus());
  return nodes;
}

function show(nodes) {
  clear(main).append(...[nodes].flat());
  main.setAttribute('aria-busy', 'false');
}

let generation = 0;

async function route() {
  const mine = ++generation;
  if (!session.token()) {
    show(signInForm());
    return;
  }
  nav.hidden = false;
  signout.hidden = false;
  whoami.textContent = 'signed in';
  const r = parseRoute(location.hash);
  for (const a of nav.querySelectorAll('a')) {
    const current = a.dataset.page === r.name || (r.name === 'customer' && a.dataset.page === 'customers');
    if (current) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  const page = PAGES[r.name];
  main.setAttribute('aria-busy', 'true');
  clear(main);
  if (!page) {
    show(h('p', {}, `There is no page "${r.name}".`));
    return;
  }
  try {
    await page.render(main, r, { setQuery: (params) => setQuery(r.name, r.args, params), stale: () => mine !== generation });
  } catch (err) {
    if (mine !== generation) return;
    if (err.status === 401) {
      session.signOut();
      show(signInForm(err));
      return;
    }
    main.append(errorBox(err));
  }
  if (mine === generation) {
    main.setAttribute('aria-busy', 'false');
    document.title = `${main.querySelector('h1')?.textContent || 'subledger'} · subledger console`;
  }
}

signout.addEventListener('click', () => {
  session.signOut();
  location.hash = '';
  route();
});
window.addEventListener('hashchange', () => {
  route();
  main.focus({ preventScroll: true });
});
route();
