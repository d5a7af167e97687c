// The ledger's seal (docs/VERIFY.md) for auditors: the latest signed checkpoint,
// its signature checked here against the key the auditor holds, and a
// subscription's history checked against it, event by event, with the API's
// inclusion proofs verified in this browser.

import { get, getAll, request } from '../api.js';
import { h, clear, table, field, working, fmt } from '../dom.js';
import * as verify from '../verify.js';

const KEY_STORE = 'subledger.auditor_public_key';

export async function render(main, route, ctx) {
  main.append(h('h1', {}, 'Ledger'),
    h('p', { class: 'sub' }, 'The signed checkpoints of the log, and proofs that a subscription\'s history is in it.'));
  const errors = h('div');
  const cpBox = h('dl', { id: 'checkpoint', class: 'fields' });
  const sigBox = h('p', { id: 'checkpoint-signature' });
  const key = h('input', {
    id: 'ledger-key', spellcheck: 'false', size: 66, value: sessionStorage.getItem(KEY_STORE) || '',
    placeholder: '64 hex characters (ledger.key.pub)', 'aria-describedby': 'ledger-key-help',
  });
  const checkKey = h('button', { type: 'button', class: 'secondary' }, 'Check the signature with this key');
  const sign = h('button', { id: 'checkpoint-new', type: 'button', class: 'secondary' }, 'Sign a new checkpoint now');
  main.append(errors,
    h('section', { class: 'panel', 'aria-labelledby': 'cp-title' },
      h('h2', { id: 'cp-title' }, 'Latest signed checkpoint'), cpBox, sigBox,
      h('div', { class: 'row' }, field('The public key you hold', key, 'wide'), checkKey, sign),
      h('p', { id: 'ledger-key-help', class: 'muted' },
        'Paste the public key you obtained out of band (the operator\'s ledger.key.pub). Without it the '
        + 'server\'s own key is used, which proves only that the server signed what it shows.')));

  let cp = null;
  async function showCheckpoint(answer) {
    cp = answer;
    clear(cpBox);
    for (const k of ['tree_size', 'root_hash', 'chain_hash', 'timestamp', 'key_id', 'signature', 'public_key']) {
      cpBox.append(h('dt', {}, k), h('dd', { 'data-field': k, class: 'mono' }, fmt.value(cp[k])));
    }
    await checkSignature();
  }
  async function checkSignature() {
    clear(sigBox);
    sigBox.removeAttribute('data-outcome');
    if (!cp) return false;
    if (!verify.available()) {
      sigBox.append('This page cannot check signatures here: the browser offers WebCrypto only on https or localhost. Use ',
        h('code', {}, 'subledger verify'), '.');
      sigBox.dataset.outcome = 'unavailable';
      return false;
    }
    const held = key.value.trim().toLowerCase();
    if (held) sessionStorage.setItem(KEY_STORE, held);
    const used = held || cp.public_key;
    let ok = false;
    let why = '';
    try {
      const id = await verify.keyId(used);
      ok = id === cp.key_id && await verify.verifyCheckpoint(cp, used);
      if (id !== cp.key_id) why = ` (key id ${id} is not the checkpoint's ${cp.key_id})`;
    } catch (e) {
      why = ` (${e.message})`;
    }
    sigBox.dataset.outcome = ok ? 'ok' : 'failed';
    sigBox.className = ok ? 'outcome-ok' : 'outcome-failed';
    sigBox.append(ok
      ? `Signature valid for ${held ? 'the key you hold' : 'the server\'s own key (paste yours to prove more)'}.`
      : `Signature NOT valid for ${held ? 'the key you hold' : 'the server\'s key'}${why}.`);
    return ok;
  }
  checkKey.addEventListener('click', checkSignature);
  sign.addEventListener('click', () => working(errors, async () => {
    await showCheckpoint(await (await request('/v1/ledger/checkpoint', {}, { method: 'POST' })).json());
  }));

  await showCheckpoint(await get('/v1/ledger/checkpoint'));

  // A subscription's history, proven event by event.
  const sub = h('input', { id: 'verify-sub', spellcheck: 'false', size: 38, value: route.params.get('subscription') || '' });
  const go = h('button', { id: 'verify-btn', type: 'button' }, 'Verify this subscription\'s history');
  const result = h('div', { id: 'verify-result', 'aria-live': 'polite' });
  const details = h('div');
  main.append(h('section', { class: 'panel', 'aria-labelledby': 'vh-title' },
    h('h2', { id: 'vh-title' }, 'Verify a subscription\'s history'),
    h('p', { class: 'muted' }, 'For each event of the history, the server\'s inclusion proof is checked here, '
      + 'from the record\'s leaf hash up to the signed root of the checkpoint above. This proves those log '
      + 'positions are in the signed log; to check every byte of every record, run subledger verify '
      + 'or scripts/independent-verify.py (docs/VERIFY.md).'),
    h('div', { class: 'row' }, field('Subscription id', sub, 'wide'), go), result, details));

  go.addEventListener('click', () => working(result, async () => {
    const id = sub.value.trim();
    ctx.setQuery({ subscription: id });
    clear(details);
    result.removeAttribute('data-outcome');
    result.className = '';
    if (!cp) throw new Error('no checkpoint');
    const signed = await checkSignature();
    const { items: events } = await getAll(`/v1/subscriptions/${encodeURIComponent(id)}/history`, {}, 'events');
    const rows = [];
    let failed = 0;
    let unsealed = 0;
    for (const e of events) {
      let outcome;
      let leaf = '';
      try {
        const proof = await get('/v1/ledger/proof/inclusion', { position: e.position, tree_size: cp.tree_size });
        leaf = proof.leaf_index;
        const ok = proof.tree_size === cp.tree_size && proof.position === e.position
          && await verify.verifyInclusion(proof.leaf_index, cp.tree_size, proof.leaf_hash, proof.audit_path, cp.root_hash);
        outcome = ok ? 'included' : 'PROOF FAILS';
        if (!ok) failed += 1;
      } catch (err) {
        if (err.status === 400 && e.position !== undefined) {
          outcome = 'after this checkpoint';
          unsealed += 1;
        } else {
          throw err;
        }
      }
      rows.push(h('tr', { 'data-outcome': outcome },
        h('td', { class: 'num' }, e.position), h('td', { class: 'num' }, leaf), h('td', {}, e.type),
        h('td', {}, fmt.instant(e.at)), h('td', {}, outcome)));
    }
    const outcome = failed > 0 || !signed ? 'failed' : unsealed > 0 ? 'incomplete' : 'ok';
    result.dataset.outcome = outcome;
    result.className = outcome === 'ok' ? 'outcome-ok' : outcome === 'failed' ? 'outcome-failed' : 'notice';
    result.append({
      ok: `All ${events.length} events are in the log signed at tree size ${cp.tree_size}.`,
      failed: `${failed} of ${events.length} events fail their proof${signed ? '' : ', and the checkpoint\'s signature does not verify'}.`,
      incomplete: `${events.length - unsealed} events proven; ${unsealed} came after this checkpoint: sign a new one and verify again.`,
    }[outcome]);
    details.append(table('verify-events', 'Events and their proofs', [
      { title: 'position', num: true }, { title: 'leaf', num: true }, { title: 'event' }, { title: 'at (UTC)' }, { title: 'outcome' }], rows));
  }));
  if (sub.value) go.click();
}
