// The auditor's checks of docs/VERIFY.md, in the browser: an inclusion proof
// (RFC 9162 §2.1.3.2, with the leaf/node prefixes 0x00/0x01) checked against the
// root of a checkpoint, and the checkpoint's Ed25519 signature (RFC 8032) checked
// with WebCrypto against the key the auditor holds.

export function available() {
  return Boolean(globalThis.crypto && crypto.subtle);
}

export function fromHex(hex) {
  if (typeof hex !== 'string' || !/^([0-9a-f]{2})*$/i.test(hex)) throw new Error(`not hex: ${hex}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256(...parts) {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const buf = new Uint8Array(len);
  let at = 0;
  for (const p of parts) { buf.set(p, at); at += p.length; }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
}

const nodeHash = (l, r) => sha256(Uint8Array.of(1), l, r);

// RFC 9162 §2.1.3.2: does `path` lead from the leaf at `index` of a tree of
// `size` leaves to `root`? (BigInt-free: sizes stay far below 2^53.)
export async function verifyInclusion(index, size, leafHex, pathHex, rootHex) {
  if (!(index < size)) return false;
  let i = index;
  let last = size - 1;
  let h = fromHex(leafHex);
  for (const sHex of pathHex) {
    const s = fromHex(sHex);
    if (last === 0) return false;
    if (i % 2 === 1 || i === last) {
      h = await nodeHash(s, h);
      while (i % 2 === 0 && i !== 0) { i = Math.floor(i / 2); last = Math.floor(last / 2); }
    } else {
      h = await nodeHash(h, s);
    }
    i = Math.floor(i / 2);
    last = Math.floor(last / 2);
  }
  return last === 0 && toHex(h) === rootHex.toLowerCase();
}

// The exact text a checkpoint's signature covers (docs/VERIFY.md §5).
export function signedText(cp) {
  return `subledger checkpoint v1\ntree_size ${cp.tree_size}\nroot_hash ${cp.root_hash}\n`
    + `chain_hash ${cp.chain_hash}\ntimestamp ${cp.timestamp}\n`;
}

export async function keyId(publicKeyHex) {
  return toHex((await sha256(fromHex(publicKeyHex))).slice(0, 8));
}

// True when `cp.signature` is `publicKeyHex`'s Ed25519 signature of the checkpoint.
export async function verifyCheckpoint(cp, publicKeyHex) {
  const key = await crypto.subtle.importKey('raw', fromHex(publicKeyHex), { name: 'Ed25519' }, false, ['verify']);
  return crypto.subtle.verify({ name: 'Ed25519' }, key, fromHex(cp.signature), new TextEncoder().encode(signedText(cp)));
}
