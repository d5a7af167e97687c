//! The tree against the RFC's recursive definitions, written as literally as possible.

use proptest::prelude::*;
use sha2::{Digest, Sha256};

use super::*;

fn leaf(i: u64) -> Hash {
    let mut data = vec![0x00];
    data.extend_from_slice(&i.to_be_bytes());
    Sha256::digest(&data).into()
}

fn leaves(n: u64) -> Vec<Hash> {
    (0..n).map(leaf).collect()
}

fn k_of(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// RFC 9162 §2.1.1, recursively.
fn mth(d: &[Hash]) -> Hash {
    match d.len() {
        0 => empty_root(),
        1 => d[0],
        n => {
            let k = k_of(n);
            node_hash(&mth(&d[..k]), &mth(&d[k..]))
        }
    }
}

/// RFC 9162 §2.1.3.1, recursively.
fn path(m: usize, d: &[Hash]) -> Vec<Hash> {
    let n = d.len();
    if n <= 1 {
        return vec![];
    }
    let k = k_of(n);
    if m < k {
        let mut p = path(m, &d[..k]);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = path(m - k, &d[k..]);
        p.push(mth(&d[..k]));
        p
    }
}

/// RFC 9162 §2.1.4.1, recursively.
fn subproof(m: usize, d: &[Hash], whole: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if whole { vec![] } else { vec![mth(d)] };
    }
    let k = k_of(n);
    if m <= k {
        let mut p = subproof(m, &d[..k], whole);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = subproof(m - k, &d[k..], false);
        p.push(mth(&d[..k]));
        p
    }
}

fn ok<T>(r: Result<T, std::convert::Infallible>) -> T {
    match r {
        Ok(v) => v,
        Err(never) => match never {},
    }
}

#[test]
fn roots_match_the_recursive_definition_for_small_trees() {
    for n in 0..70u64 {
        let d = leaves(n);
        let list = LeafList(d.clone());
        let mut frontier = Frontier::default();
        for h in &d {
            frontier.push(*h);
        }
        assert_eq!(ok(root(&list, n)), mth(&d), "size {n}");
        assert_eq!(frontier.root(), mth(&d), "frontier, size {n}");
        assert_eq!(frontier.size(), n);
    }
}

#[test]
fn the_frontier_notes_each_complete_subtree_of_a_level() {
    let d = leaves(100);
    let list = LeafList(d.clone());
    let mut frontier = Frontier::default();
    for (i, h) in d.iter().enumerate() {
        let noted = frontier.push_noting(*h, 3);
        let expected = ((i + 1) % 8 == 0).then(|| ok(list.complete(3, i as u64 / 8)));
        assert_eq!(noted, expected, "leaf {i}");
    }
}

#[test]
fn every_inclusion_proof_of_small_trees_verifies() {
    for n in 1..40u64 {
        let d = leaves(n);
        let list = LeafList(d.clone());
        let r = mth(&d);
        for m in 0..n {
            let p = ok(inclusion_path(&list, m, n));
            assert_eq!(p, path(m as usize, &d), "PATH({m}, D[{n}])");
            assert!(verify_inclusion(m, n, &d[m as usize], &p, &r));
            assert!(!verify_inclusion(m, n, &leaf(1000), &p, &r));
            if n > 1 {
                assert!(!verify_inclusion((m + 1) % n, n, &d[m as usize], &p, &r));
            }
        }
    }
}

#[test]
fn every_consistency_proof_of_small_trees_verifies() {
    for n in 1..40u64 {
        let d = leaves(n);
        let list = LeafList(d.clone());
        for m in 1..=n {
            let p = ok(consistency_proof(&list, m, n));
            assert_eq!(p, subproof(m as usize, &d, true), "PROOF({m}, D[{n}])");
            let (a, b) = (mth(&d[..m as usize]), mth(&d));
            assert!(verify_consistency(m, n, &a, &b, &p), "{m} -> {n}");
            assert!(!verify_consistency(m, n, &leaf(999), &b, &p));
            if m < n {
                assert!(!verify_consistency(m, n, &a, &leaf(999), &p));
            }
        }
    }
}

#[test]
fn degenerate_requests_do_not_verify() {
    let d = leaves(4);
    let r = mth(&d);
    assert!(!verify_inclusion(4, 4, &d[0], &[], &r));
    assert!(!verify_consistency(0, 4, &r, &r, &[]));
    assert!(!verify_consistency(5, 4, &r, &r, &[]));
    assert!(!verify_consistency(2, 4, &mth(&d[..2]), &r, &[]));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn inclusion_proofs_of_random_sizes_verify(n in 1u64..5000, pick in any::<u64>(), flip in 0usize..32) {
        let d = leaves(n);
        let list = LeafList(d.clone());
        let m = pick % n;
        let r = ok(root(&list, n));
        prop_assert_eq!(r, mth(&d));
        let p = ok(inclusion_path(&list, m, n));
        prop_assert!(p.len() <= 64 - (n.leading_zeros() as usize) + 1);
        prop_assert!(verify_inclusion(m, n, &d[m as usize], &p, &r));
        if let Some(first) = p.first() {
            let mut bad = p.clone();
            bad[0] = { let mut h = *first; h[flip] ^= 1; h };
            prop_assert!(!verify_inclusion(m, n, &d[m as usize], &bad, &r));
        }
    }

    #[test]
    fn consistency_proofs_of_random_sizes_verify(n in 1u64..5000, pick in any::<u64>(), flip in 0usize..32) {
        let d = leaves(n);
        let list = LeafList(d.clone());
        let m = pick % n + 1;
        let (a, b) = (ok(root(&list, m)), ok(root(&list, n)));
        let p = ok(consistency_proof(&list, m, n));
        prop_assert!(verify_consistency(m, n, &a, &b, &p));
        if let Some(last) = p.last() {
            let mut bad = p.clone();
            let i = bad.len() - 1;
            bad[i] = { let mut h = *last; h[flip] ^= 1; h };
            prop_assert!(!verify_consistency(m, n, &a, &b, &bad));
        }
        // A tree that differs in one leaf of the prefix is not consistent with it.
        let mut other = d.clone();
        other[(pick % m) as usize] = leaf(n + 7);
        let other_root = mth(&other[..m as usize]);
        prop_assert!(!verify_consistency(m, n, &other_root, &b, &p));
    }
}
