//! The Merkle tree of RFC 9162 (Certificate Transparency v2) §2.1 over leaf hashes:
//! tree hashes, inclusion and consistency proofs, and their verification.
//!
//! Proof generation reads *complete* subtrees only (`2^level` leaves starting at a
//! multiple of `2^level`), through [`Subtrees`], so a store can keep those and answer a
//! proof with O(log n) lookups.

use crate::record::{Hash, empty_root, node_hash};

/// A source of complete subtree hashes: `complete(level, index)` is the hash of the
/// leaves `[index << level, (index + 1) << level)`; level 0 is the leaf hashes.
pub trait Subtrees {
    type Error;
    fn complete(&self, level: u32, index: u64) -> Result<Hash, Self::Error>;
}

/// The largest power of two smaller than `n` (`n >= 2`).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// `MTH(D[start:end])`.
pub fn range_hash<S: Subtrees>(tree: &S, start: u64, end: u64) -> Result<Hash, S::Error> {
    let n = end - start;
    if n == 0 {
        return Ok(empty_root());
    }
    if n.is_power_of_two() && start.is_multiple_of(n) {
        return tree.complete(n.trailing_zeros(), start / n);
    }
    let k = split(n);
    Ok(node_hash(
        &range_hash(tree, start, start + k)?,
        &range_hash(tree, start + k, end)?,
    ))
}

/// `MTH(D[size])`: the root of the tree of the first `size` leaves.
pub fn root<S: Subtrees>(tree: &S, size: u64) -> Result<Hash, S::Error> {
    range_hash(tree, 0, size)
}

/// `PATH(index, D[size])` (RFC 9162 §2.1.3.1), leaf side first. `index < size`.
pub fn inclusion_path<S: Subtrees>(tree: &S, index: u64, size: u64) -> Result<Vec<Hash>, S::Error> {
    let mut siblings = Vec::new();
    let (mut start, mut end) = (0, size);
    // Walk down from the root, noting each sibling; the proof lists them upwards.
    while end - start > 1 {
        let k = split(end - start);
        if index < start + k {
            siblings.push((start + k, end));
            end = start + k;
        } else {
            siblings.push((start, start + k));
            start += k;
        }
    }
    siblings
        .into_iter()
        .rev()
        .map(|(a, b)| range_hash(tree, a, b))
        .collect()
}

/// `PROOF(from, D[to])` (RFC 9162 §2.1.4.1). `0 < from <= to`.
pub fn consistency_proof<S: Subtrees>(tree: &S, from: u64, to: u64) -> Result<Vec<Hash>, S::Error> {
    let mut parts = Vec::new();
    let (mut m, mut start, mut end, mut whole) = (from, 0, to, true);
    // SUBPROOF(m, D[start:end], whole), unrolled; the parts are collected top-down
    // and the proof lists them bottom-up.
    loop {
        let n = end - start;
        if m == n {
            if !whole {
                parts.push((start, end));
            }
            break;
        }
        let k = split(n);
        if m <= k {
            parts.push((start + k, end));
            end = start + k;
        } else {
            parts.push((start, start + k));
            m -= k;
            start += k;
            whole = false;
        }
    }
    parts
        .into_iter()
        .rev()
        .map(|(a, b)| range_hash(tree, a, b))
        .collect()
}

/// RFC 9162 §2.1.3.2: does `path` prove leaf `index` (hash `leaf`) is in the tree of
/// `size` leaves whose root is `root`?
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, path: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s, mut r) = (index, size - 1, *leaf);
    for p in path {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r == *root
}

/// RFC 9162 §2.1.4.2: does `proof` show the tree of `from` leaves (root `from_root`)
/// is a prefix of the tree of `to` leaves (root `to_root`)?
pub fn verify_consistency(
    from: u64,
    to: u64,
    from_root: &Hash,
    to_root: &Hash,
    proof: &[Hash],
) -> bool {
    if from == 0 || from > to {
        return false;
    }
    if from == to {
        return proof.is_empty() && from_root == to_root;
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if from.is_power_of_two() {
        path.push(*from_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let (mut f, mut s) = (from - 1, to - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    fr == *from_root && sr == *to_root && s == 0
}

/// The right edge of a growing tree: one hash per set bit of the size (a binary
/// counter of complete subtrees), so the root of every prefix costs O(log n).
#[derive(Debug, Clone, Default)]
pub struct Frontier {
    size: u64,
    /// Complete subtrees from the left, each with its level; levels strictly decrease.
    stack: Vec<(u32, Hash)>,
}

impl Frontier {
    /// Leaves so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds the next leaf.
    pub fn push(&mut self, leaf: Hash) {
        self.push_noting(leaf, u32::MAX);
    }

    /// Adds the next leaf; returns the complete subtree at `level` this leaf
    /// completed, if it completed one (a verifier compares it with a stored one).
    pub fn push_noting(&mut self, leaf: Hash, level: u32) -> Option<Hash> {
        let (mut at, mut hash) = (0, leaf);
        let mut noted = (level == 0).then_some(leaf);
        while let Some(&(top, left)) = self.stack.last() {
            if top != at {
                break;
            }
            self.stack.pop();
            hash = node_hash(&left, &hash);
            at += 1;
            if at == level {
                noted = Some(hash);
            }
        }
        self.stack.push((at, hash));
        self.size += 1;
        noted
    }

    /// The root of the tree of the leaves so far.
    pub fn root(&self) -> Hash {
        let mut entries = self.stack.iter().rev();
        let Some(&(_, mut root)) = entries.next() else {
            return empty_root();
        };
        for (_, left) in entries {
            root = node_hash(left, &root);
        }
        root
    }
}

/// Leaf hashes held in memory (tests, small trees): subtrees computed on request.
#[derive(Debug, Clone, Default)]
pub struct LeafList(pub Vec<Hash>);

impl Subtrees for LeafList {
    type Error = std::convert::Infallible;
    fn complete(&self, level: u32, index: u64) -> Result<Hash, Self::Error> {
        let width = 1usize << level;
        let start = index as usize * width;
        Ok(complete_of(&self.0[start..start + width]))
    }
}

/// The hash of a complete subtree from its leaves (`leaves.len()` a power of two).
pub fn complete_of(leaves: &[Hash]) -> Hash {
    let mut level: Vec<Hash> = leaves.to_vec();
    while level.len() > 1 {
        level = level
            .chunks_exact(2)
            .map(|pair| node_hash(&pair[0], &pair[1]))
            .collect();
    }
    level.first().copied().unwrap_or_else(empty_root)
}

#[cfg(test)]
mod tests;
