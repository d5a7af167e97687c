#!/usr/bin/env python3
"""Independent verifier of subledger's sealed log (docs/VERIFY.md, seal spec v1).

Written from the specification only, with the Python 3.11 standard library only, so that it
shares no code and no dependency with the Rust implementation it checks.

    independent-verify.py --db DATA_DIR/events.db --public-key KEY.pub [--checkpoint FILE]...
                          [--url URL --token TOKEN] [--samples N] [--seed S]
    independent-verify.py --self-test

Exit status: 0 every check passed, 1 a check failed (the line names the position or sizes),
2 usage or I/O error.
"""
import argparse, hashlib, json, pathlib, random, sqlite3, struct, sys, time  # noqa: E401
import urllib.error
import urllib.request

QUERY = ("SELECT e.position, s.name, e.version, e.event_id, e.event_type, e.schema_version, "
         "e.data, e.metadata FROM events e JOIN streams s ON s.id = e.stream_id ORDER BY e.position")
ZERO32 = bytes(32)
EMPTY_ROOT = hashlib.sha256(b"").digest()

class UsageError(Exception):
    """Bad arguments, unreadable files, unreachable server: exit status 2."""

# ---------------------------------------------------------------- encoding and hashes (spec 1, 2)
def leaf_data(position, stream, version, event_id, event_type, schema_version, data, metadata):
    """Canonical encoding of one record; text fields are given as their UTF-8 bytes."""
    if len(event_id) != 16:
        raise ValueError(f"event_id is {len(event_id)} bytes, not 16")
    return b"".join((struct.pack(">QI", position, len(stream)), stream,
                     struct.pack(">Q", version), event_id,
                     struct.pack(">I", len(event_type)), event_type,
                     struct.pack(">II", schema_version, len(data)), data,
                     struct.pack(">I", len(metadata)), metadata))

def leaf_hash(data):
    """LH(d) = SHA-256(0x00 || d)."""
    return hashlib.sha256(b"\x00" + data).digest()

def node_hash(left, right):
    """NH(l, r) = SHA-256(0x01 || l || r)."""
    return hashlib.sha256(b"\x01" + left + right).digest()

class Tree:
    """Merkle tree (RFC 9162 2.1.1) and hash chain grown one leaf at a time.

    Only the roots of the complete subtrees are kept (one per 1-bit of the size), so memory is
    O(log n)."""

    def __init__(self):
        self.size, self.stack, self.chain = 0, [], ZERO32

    def append(self, lh):
        """Add the leaf hash of the next record."""
        self.chain = hashlib.sha256(self.chain + lh).digest()
        self.stack.append(lh)
        self.size += 1
        n = self.size
        while not n & 1:  # a trailing 0 bit: two equal complete subtrees merge
            right = self.stack.pop()
            self.stack[-1] = node_hash(self.stack[-1], right)
            n >>= 1

    def root(self):
        """MTH of the leaves so far: the complete subtrees folded from the right."""
        if not self.stack:
            return EMPTY_ROOT
        acc = self.stack[-1]
        for h in reversed(self.stack[:-1]):
            acc = node_hash(h, acc)
        return acc

def prefix_root(leaf_hashes, m):
    """MTH of the first m leaves of a bytearray of concatenated 32-byte leaf hashes."""
    t = Tree()
    for i in range(m):
        t.append(bytes(leaf_hashes[32 * i:32 * i + 32]))
    return t.root()

# ------------------------------------------------------------ proof verification (spec 3)
def verify_inclusion(index, size, lh, path, root):
    """RFC 9162 2.1.3.2: does the audit path lead from leaf hash lh at index to root?"""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, lh
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:  # climb while we are a left child with no sibling
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root

def verify_consistency(m, n, first, second, proof):
    """RFC 9162 2.1.4.2: is the tree of size m with root first a prefix of the size-n root second?"""
    if not 0 < m <= n:
        return False
    if m == n:
        return not proof and first == second
    if not proof:
        return False
    if m & (m - 1) == 0:  # m a power of two: the old root is itself a node of the new tree
        proof = [first] + list(proof)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first and sr == second

# ------------------------------------------------------- Ed25519 verification (RFC 8032 5.1)
P = 2 ** 255 - 19
L = 2 ** 252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
IDENTITY = (0, 1, 1, 0)

def ed_add(a, b):
    """Point addition in extended coordinates (X, Y, Z, T), formulas of RFC 8032 5.1.4."""
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa, bb = (y1 - x1) * (y2 - x2) % P, (y1 + x1) * (y2 + x2) % P
    cc, dd = t1 * 2 * D * t2 % P, z1 * 2 * z2 % P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % P, g * h % P, f * g % P, e * h % P)

def ed_mul(k, pt):
    """[k]pt by double-and-add (variable time: only public values are handled here)."""
    acc = IDENTITY
    while k:
        if k & 1:
            acc = ed_add(acc, pt)
        pt = ed_add(pt, pt)
        k >>= 1
    return acc

def ed_equal(a, b):
    """Projective equality: X1/Z1 == X2/Z2 and Y1/Z1 == Y2/Z2."""
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0

def ed_decode(s):
    """Decode a 32-byte point (RFC 8032 5.1.3); None if it is not on the curve."""
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    if y >= P:
        return None
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    if v * x * x % P == u:
        pass
    elif v * x * x % P == -u % P:
        x = x * SQRT_M1 % P
    else:
        return None
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = P - x
    return (x, y, 1, x * y % P)

BASE = ed_decode((4 * pow(5, P - 2, P) % P).to_bytes(32, "little"))  # y = 4/5, x even

def ed25519_verify(public_key, message, signature):
    """RFC 8032 5.1.7: check [8][S]B = [8]R + [8][k]A for k = SHA-512(R || A || M) mod L."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a, r = ed_decode(public_key), ed_decode(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % L
    left = ed_mul(8, ed_mul(s, BASE))
    right = ed_mul(8, ed_add(r, ed_mul(k, a)))
    return ed_equal(left, right)

# --------------------------------------------------------------- checkpoints and keys (spec 4)
def parse_hex(text, nbytes, what):
    """Strict lowercase hex of exactly nbytes bytes."""
    if not isinstance(text, str) or len(text) != 2 * nbytes or text.strip("0123456789abcdef"):
        raise ValueError(f"{what} is not {2 * nbytes} lowercase hex characters")
    return bytes.fromhex(text)

def load_public_key(path):
    """The .pub file of `subledger keygen`: 64 lowercase hex characters and a newline."""
    try:
        return parse_hex(pathlib.Path(path).read_text().strip(), 32, f"public key in {path}")
    except (OSError, ValueError) as e:
        raise UsageError(str(e)) from e

def parse_checkpoint(obj, where):
    """Validate a checkpoint object; keep the hex strings (they are signed as text)."""
    try:
        cp = {k: obj[k] for k in ("tree_size", "root_hash", "chain_hash", "timestamp", "key_id",
                                  "signature")}
        if type(cp["tree_size"]) is not int or cp["tree_size"] < 0:
            raise ValueError("tree_size is not a non-negative integer")
        if not isinstance(cp["timestamp"], str) or "\n" in cp["timestamp"]:
            raise ValueError("timestamp is not a one-line string")
        cp["root"] = parse_hex(cp["root_hash"], 32, "root_hash")
        cp["chain"] = parse_hex(cp["chain_hash"], 32, "chain_hash")
        cp["sig"] = parse_hex(cp["signature"], 64, "signature")
        parse_hex(cp["key_id"], 8, "key_id")
    except (KeyError, TypeError, ValueError) as e:
        raise UsageError(f"{where}: malformed checkpoint: {e!r}") from e
    cp["name"] = where
    return cp

def signed_message(cp):
    """The exact UTF-8 text that the checkpoint signature covers."""
    return (f"subledger checkpoint v1\ntree_size {cp['tree_size']}\nroot_hash {cp['root_hash']}\n"
            f"chain_hash {cp['chain_hash']}\ntimestamp {cp['timestamp']}\n").encode()

# ------------------------------------------------------------------------ reading the log
def scan_log(db_path, sizes, ranks, keep_leaves_upto=0):
    """Stream the log once. Returns (record count, {size: (root, chain)} for the wanted sizes,
    {rank: (position, leaf hash)} for the wanted ranks, first structural fault or None,
    (bytearray of the first keep_leaves_upto leaf hashes, list of their positions))."""
    path = pathlib.Path(db_path)
    if not path.is_file():
        raise UsageError(f"{db_path}: no such file")
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        conn.text_factory = bytes  # TEXT columns as their stored UTF-8 bytes
        rows = conn.execute(QUERY)
    except sqlite3.Error as e:
        raise UsageError(f"{db_path}: {e}") from e
    tree, at, leaves, fault, kept = Tree(), {}, {}, None, (bytearray(), [])
    if 0 in sizes:
        at[0] = (EMPTY_ROOT, ZERO32)
    try:
        for row in rows:
            rank = tree.size
            if fault is None and row[0] != rank + 1:
                fault = f"position {rank + 1}: missing (next record has position {row[0]})"
            try:
                lh = leaf_hash(leaf_data(*row))
            except (TypeError, ValueError, struct.error) as e:
                raise ValueError(f"position {row[0]}: record cannot be encoded: {e}") from e
            tree.append(lh)
            if rank < keep_leaves_upto:
                kept[0].extend(lh)
                kept[1].append(row[0])
            if rank in ranks:
                leaves[rank] = (row[0], lh)
            if tree.size in sizes:
                at[tree.size] = (tree.root(), tree.chain)
    except sqlite3.Error as e:
        raise UsageError(f"{db_path}: {e}") from e
    finally:
        conn.close()
    return tree.size, at, leaves, fault, kept

# -------------------------------------------------------------------------------- the server
class Server:
    """The auditor endpoints of spec 5 (bearer token)."""

    def __init__(self, url, token):
        self.url, self.token = url.rstrip("/"), token

    def get(self, path):
        """GET path and decode the JSON body; 401/403 and network errors are usage errors,
        other HTTP statuses raise LookupError (a failed check)."""
        req = urllib.request.Request(self.url + path, headers={
            "Authorization": f"Bearer {self.token}", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return json.load(resp)
        except urllib.error.HTTPError as e:
            body = e.read()[:300].decode(errors="replace")
            if e.code in (401, 403):
                raise UsageError(f"GET {path}: HTTP {e.code} {body}") from e
            raise LookupError(f"GET {path}: HTTP {e.code} {body}") from e
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise UsageError(f"GET {self.url + path}: {e}") from e

    def inclusion(self, position, size):
        """Inclusion proof of a position in the tree of the given size."""
        return self.get(f"/v1/ledger/proof/inclusion?position={position}&tree_size={size}")

    def consistency(self, m, n):
        """Consistency proof between sizes m and n."""
        return self.get(f"/v1/ledger/proof/consistency?from={m}&to={n}")

def hexes(items):
    """A JSON list of 64-character hex hashes as bytes."""
    return [parse_hex(h, 32, "proof hash") for h in items]

# ---------------------------------------------------------------------------------- checks
class Report:
    """One line per check; counts the outcomes."""

    def __init__(self):
        self.passed = self.failed = 0

    def check(self, ok, what, why=""):
        """Print OK/FAIL for one check and count it."""
        self.passed += bool(ok)
        self.failed += not ok
        print(f"{'OK  ' if ok else 'FAIL'} {what}{'' if ok or not why else ': ' + why}", flush=True)
        return ok

def check_checkpoint(rep, cp, pub, n, at):
    """Signature, key id, size and roots of one checkpoint. True if it matches the log, False if
    not, None if it is not authentic (then it says nothing about the log)."""
    key_id = hashlib.sha256(pub).digest()[:8].hex()
    signed = rep.check(ed25519_verify(pub, signed_message(cp), cp["sig"]),
                       f"{cp['name']}: signature with the public key held", "signature invalid")
    rep.check(cp["key_id"] == key_id, f"{cp['name']}: key_id {cp['key_id']}",
              f"expected {key_id}")
    m = cp["tree_size"]
    if not rep.check(m <= n, f"{cp['name']}: tree_size {m} <= log size {n}",
                     f"log of {n} records is shorter than the checkpoint (truncated?)"):
        return False if signed else None
    root, chain = at[m]
    match = rep.check(root == cp["root"] and chain == cp["chain"],
                      f"{cp['name']}: root and chain at size {m}",
                      f"log of {n} records does not match the checkpoint of size {m} "
                      f"(root {root.hex()} vs {cp['root_hash']}, chain {chain.hex()} vs "
                      f"{cp['chain_hash']})")
    return match if signed else None

def locate_with_server(rep, srv, cp, db):
    """Binary search for the first record whose prefix root differs from the sealed one; the
    server's roots are authenticated by consistency proofs to its signed checkpoint."""
    size = cp["tree_size"]
    leaves, positions = scan_log(db, set(), set(), keep_leaves_upto=size)[4]
    lo, hi = 0, size  # prefix of lo leaves agrees, of hi leaves differs
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            ans = srv.consistency(mid, size)
            sealed, proof = parse_hex(ans["from_root"], 32, "from_root"), hexes(ans["proof"])
        except (LookupError, KeyError, TypeError, ValueError) as e:
            return rep.check(False, "locating the first difference", str(e))
        if not verify_consistency(mid, size, sealed, cp["root"], proof):
            return rep.check(False, "locating the first difference",
                             f"server's consistency proof {mid}->{size} is invalid")
        lo, hi = (mid, hi) if prefix_root(leaves, mid) == sealed else (lo, mid)
    local = bytes(leaves[32 * (hi - 1):32 * hi]).hex()
    try:  # the sealed SQLite log is gap-free: its leaf index hi - 1 has position hi
        ans = srv.inclusion(hi, size)
        sealed = ans["leaf_hash"] if ans["leaf_index"] == hi - 1 else "unavailable"
    except (LookupError, KeyError, TypeError) as e:
        sealed = f"unavailable ({e})"
    return rep.check(False, f"first record that differs from the sealed log: leaf index {hi - 1}",
                     f"local position {positions[hi - 1]}, leaf hash {local} vs sealed {sealed}")

def run(args):
    """The whole verification; returns the exit status."""
    rep, rng = Report(), random.Random(args.seed)
    pub = load_public_key(args.public_key)
    cps = []
    for f in args.checkpoint:
        try:
            cps.append(parse_checkpoint(json.loads(pathlib.Path(f).read_text()), f))
        except (OSError, ValueError) as e:
            raise UsageError(f"{f}: {e}") from e
    srv = scp = None
    if args.url:
        srv = Server(args.url, args.token)
        scp = parse_checkpoint(srv.get("/v1/ledger/checkpoint"), "server checkpoint")
    sizes, ranks, pairs = {c["tree_size"] for c in cps}, set(), set()
    if scp:
        s = scp["tree_size"]
        sizes.add(s)
        if s:
            ranks |= {0, s - 1} | {rng.randrange(s) for _ in range(args.samples)}
            froms = {c["tree_size"] for c in cps if c["tree_size"]}
            froms |= {1} | {rng.randint(1, s) for _ in range(args.samples)}
            pairs = {(min(m, s), max(m, s)) for m in froms}
            sizes |= {m for p in pairs for m in p}
    print(f"seed {args.seed}; reading {args.db}", flush=True)
    t0 = time.monotonic()
    try:
        n, at, leaves, fault, _ = scan_log(args.db, sizes, ranks)
    except ValueError as e:
        rep.check(False, "canonical encoding of every record", str(e))
        return 1
    dt = max(time.monotonic() - t0, 1e-9)
    print(f"read {n} records in {dt:.2f} s ({n / dt:,.0f} records/s)", flush=True)
    rep.check(fault is None, "positions 1..n without gaps", fault)
    good, bad = {0}, set()
    for cp in cps + ([scp] if scp else []):
        verdict = check_checkpoint(rep, cp, pub, n, at)
        if verdict is not None:
            (good if verdict else bad).add(cp["tree_size"])
    if scp and scp["tree_size"] <= n:  # proofs lead from local leaves/prefixes to the SIGNED root
        s = scp["tree_size"]
        for rank in sorted(ranks):
            position, lh = leaves[rank]
            what = f"inclusion of position {position} (leaf {rank}) in tree {s}"
            try:
                ans = srv.inclusion(position, s)
                ok = (ans["leaf_index"] == rank and ans["tree_size"] == s
                      and verify_inclusion(rank, s, lh, hexes(ans["audit_path"]), scp["root"]))
                why = (f"sealed leaf hash {ans['leaf_hash']} vs local {lh.hex()}"
                       if ans["leaf_hash"] != lh.hex() else "proof does not verify")
            except (LookupError, KeyError, TypeError, ValueError) as e:
                ok, why = False, str(e)
            rep.check(ok, what, why)
        for m, k in sorted(p for p in pairs if p[1] <= n):  # larger: already failed above
            what = f"consistency {m} -> {k}"
            try:
                ans = srv.consistency(m, k)
                top = scp["root"] if k == s else at[k][0]
                ok = verify_consistency(m, k, at[m][0], top, hexes(ans["proof"]))
                why = (f"sealed root at {m} is {ans['from_root']}, local {at[m][0].hex()}"
                       if ans["from_root"] != at[m][0].hex() else "proof does not verify")
            except (LookupError, KeyError, TypeError, ValueError) as e:
                ok, why = False, str(e)
            rep.check(ok, what, why)
    if bad:
        first_bad = min(bad)
        last_good = max(g for g in good if g < first_bad)
        rep.check(False, "first difference", f"lies in positions {last_good + 1}..{first_bad} "
                  f"(the log agrees with a checkpoint of size {last_good}, not with {first_bad})")
        if scp and scp["tree_size"] in bad and scp["tree_size"] <= n \
                and at[scp["tree_size"]][0] != scp["root"]:
            locate_with_server(rep, srv, scp, args.db)
    print(f"SUMMARY: {rep.passed + rep.failed} checks, {rep.passed} passed, {rep.failed} failed; "
          f"{n} records, {n / dt:,.0f} records/s")
    return 1 if rep.failed else 0

# ------------------------------------------------------------------------------- self-test
RFC8032 = [  # RFC 8032 7.1 TEST 1, 2, 3: public key, message, signature
    ("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf"
     "9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f"
     "11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984"
     "dc6594a7c15e9716ed28dc027beceea1ec40a"),
]
# Derived by hand from the table of spec 1 (not by this script's encoder).
FIXED_RECORD = (7, "café".encode(), 3, bytes(range(16)), b"Purchased", 2, b'{"n":1}', b"")
FIXED_HEX = ("0000000000000007" "00000005" "636166c3a9" "0000000000000003"
             "000102030405060708090a0b0c0d0e0f" "00000009" "507572636861736564" "00000002"
             "00000007" "7b226e223a317d" "00000000")

def naive_mth(d):
    """MTH by the recursive definition of RFC 9162 2.1.1 over leaf data d."""
    if not d:
        return EMPTY_ROOT
    if len(d) == 1:
        return leaf_hash(d[0])
    k = 1 << ((len(d) - 1).bit_length() - 1)
    return node_hash(naive_mth(d[:k]), naive_mth(d[k:]))

def naive_path(m, d):
    """PATH(m, D[n]) of RFC 9162 2.1.3.1."""
    if len(d) <= 1:
        return []
    k = 1 << ((len(d) - 1).bit_length() - 1)
    if m < k:
        return naive_path(m, d[:k]) + [naive_mth(d[k:])]
    return naive_path(m - k, d[k:]) + [naive_mth(d[:k])]

def naive_subproof(m, d, complete):
    """SUBPROOF(m, D[n], b) of RFC 9162 2.1.4.1."""
    if m == len(d):
        return [] if complete else [naive_mth(d)]
    k = 1 << ((len(d) - 1).bit_length() - 1)
    if m <= k:
        return naive_subproof(m, d[:k], complete) + [naive_mth(d[k:])]
    return naive_subproof(m - k, d[k:], False) + [naive_mth(d[:k])]

def corruptions(proof):
    """Wrong variants of a proof: one bit flipped in each hash, one hash added, one dropped."""
    for i, h in enumerate(proof):
        yield proof[:i] + [bytes([h[0] ^ 1]) + h[1:]] + proof[i + 1:]
    yield proof + [ZERO32]
    if proof:
        yield proof[:-1]

def self_test():
    """Known answers and cross-checks against naive implementations; returns the exit status."""
    rep = Report()
    for i, (pk, msg, sig) in enumerate(RFC8032, 1):
        pk, msg, sig = bytes.fromhex(pk), bytes.fromhex(msg), bytes.fromhex(sig)
        rep.check(ed25519_verify(pk, msg, sig), f"RFC 8032 7.1 test {i} verifies")
        flipped = [sig[:j] + bytes([sig[j] ^ 0x10]) + sig[j + 1:] for j in (0, 17, 40, 63)]
        rep.check(not any(ed25519_verify(pk, msg, f) for f in flipped),
                  f"RFC 8032 test {i} with a flipped signature bit fails")
        rep.check(not ed25519_verify(pk, msg + b"x", sig), f"RFC 8032 test {i}, other message fails")
        big_s = sig[:32] + (int.from_bytes(sig[32:], "little") + L).to_bytes(32, "little")
        rep.check(not ed25519_verify(pk, msg, big_s), f"RFC 8032 test {i} with S + L fails")
    data = [b"leaf %d" % i for i in range(71)]
    bad = []
    for n in range(71):
        t = Tree()
        for x in data[:n]:
            t.append(leaf_hash(x))
        if t.root() != naive_mth(data[:n]):
            bad.append(n)
    rep.check(not bad, "incremental tree equals recursive MTH, sizes 0..70", f"sizes {bad}")
    bad, wrong = [], []
    for n in range(1, 41):
        root = naive_mth(data[:n])
        for m in range(n):
            path, lh = naive_path(m, data[:n]), leaf_hash(data[m])
            if not verify_inclusion(m, n, lh, path, root):
                bad.append((m, n))
            forged = [(m, lh, p) for p in corruptions(path)] + [(m, leaf_hash(b"x"), path)]
            forged += [(m + 1, lh, path)] if m + 1 < n else []
            wrong += [(m, n) for i, h, p in forged if verify_inclusion(i, n, h, p, root)]
    rep.check(not bad, "inclusion proofs, all leaves of sizes 1..40", f"rejected {bad[:5]}")
    rep.check(not wrong, "corrupted inclusion proofs fail", f"accepted {wrong[:5]}")
    bad, wrong = [], []
    for n in range(1, 41):
        new = naive_mth(data[:n])
        for m in range(1, n + 1):
            old, proof = naive_mth(data[:m]), naive_subproof(m, data[:n], True)
            if not verify_consistency(m, n, old, new, proof):
                bad.append((m, n))
            forged = list(corruptions(proof)) if m < n else [[ZERO32]]
            wrong += [(m, n) for p in forged if verify_consistency(m, n, old, new, p)]
            if verify_consistency(m, n, leaf_hash(b"x"), new, proof):
                wrong.append((m, n, "old root"))
    rep.check(not bad, "consistency proofs, all 1 <= m <= n <= 40", f"rejected {bad[:5]}")
    rep.check(not wrong, "corrupted consistency proofs fail", f"accepted {wrong[:5]}")
    got = leaf_data(*FIXED_RECORD).hex()
    rep.check(got == FIXED_HEX, "canonical encoding of the fixed record", got)
    cp = {"tree_size": 0, "root_hash": EMPTY_ROOT.hex(), "chain_hash": ZERO32.hex(),
          "timestamp": "2026-12-04T17:20:01.123456Z"}
    rep.check(signed_message(cp) == (
        b"subledger checkpoint v1\ntree_size 0\nroot_hash e3b0c44298fc1c149afbf4c8996fb92427ae41e4649"
        b"b934ca495991b7852b855\nchain_hash " + b"0" * 64 + b"\ntimestamp 2026-12-04T17:20:01.12"
        b"3456Z\n"), "signed message text of a size-0 checkpoint")
    print(f"SUMMARY: self-test, {rep.passed + rep.failed} checks, {rep.passed} passed, "
          f"{rep.failed} failed")
    return 1 if rep.failed else 0

def main(argv=None):
    """Parse the command line and run the verification or the self-test."""
    ap = argparse.ArgumentParser(description="Independent verifier of subledger's sealed log.")
    ap.add_argument("--self-test", action="store_true", help="run the built-in tests and exit")
    ap.add_argument("--db", help="the SQLite log, DATA_DIR/events.db (opened read-only)")
    ap.add_argument("--public-key", help="the checkpoint key's .pub file (64 hex characters)")
    ap.add_argument("--checkpoint", action="append", default=[], metavar="FILE",
                    help="a signed checkpoint JSON file held by the auditor (repeatable)")
    ap.add_argument("--url", help="base URL of a running server, e.g. http://127.0.0.1:8080")
    ap.add_argument("--token", help="bearer token of an auditor role (with --url)")
    ap.add_argument("--samples", type=int, default=32, help="random proofs of each kind (32)")
    ap.add_argument("--seed", type=int, help="seed of the random samples (default: random)")
    args = ap.parse_args(argv)
    if args.self_test:
        return self_test()
    if not args.db or not args.public_key or bool(args.url) != bool(args.token) or args.samples < 0:
        ap.print_usage(sys.stderr)
        print("error: --db and --public-key are required; --url and --token go together; "
              "--samples >= 0", file=sys.stderr)
        return 2
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(2 ** 32)
    try:
        return run(args)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

if __name__ == "__main__":
    sys.exit(main())
