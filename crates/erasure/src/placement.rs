//! Deterministic shard placement by rendezvous (highest-random-weight)
//! hashing, spread across failure domains.
//!
//! Every node gets a score `blake3(block id || node id)` per block; nodes are
//! ranked by score, and shards are handed out in rank order so that no zone
//! receives a second shard before every zone has one (then a third, ...).
//! Because scores do not depend on the other nodes, adding a node only
//! changes the placements it wins, where it displaces one node (the other
//! nodes keep a shard, though possibly at another index: metadata records
//! the node of every shard, so only the set matters for reads).

use std::collections::{HashMap, HashSet};
use tessera_types::{BlockId, NodeId};

/// A storage node eligible to hold shards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub id: NodeId,
    /// Failure domain.
    pub zone: String,
}

/// The rendezvous score of `node` for `block`.
fn score(block: &BlockId, node: NodeId) -> u64 {
    let mut h = blake3::Hasher::new();
    h.update(&block.0);
    h.update(&node.to_be_bytes());
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_bytes()[..8]);
    u64::from_be_bytes(first)
}

/// Chooses the nodes for the `n` shards of `block`, in shard index order.
///
/// Returns `min(n, distinct nodes)` distinct node ids; duplicate candidates
/// (same id) count once. The result depends only on the block and the set of
/// candidates, not on their order.
pub fn place(block: &BlockId, candidates: &[Candidate], n: usize) -> Vec<NodeId> {
    let mut seen = HashSet::new();
    let mut ranked: Vec<(u64, &Candidate)> = candidates
        .iter()
        .filter(|c| seen.insert(c.id))
        .map(|c| (score(block, c.id), c))
        .collect();
    // Highest score first; the node id breaks (astronomically unlikely) ties.
    ranked.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.id.cmp(&b.1.id)));

    let want = n.min(ranked.len());
    let mut chosen = Vec::with_capacity(want);
    let mut taken = vec![false; ranked.len()];
    let mut per_zone: HashMap<&str, usize> = HashMap::new();
    // Round r gives each zone its (r+1)-th shard, best-ranked nodes first.
    let mut round = 0;
    while chosen.len() < want {
        for (i, (_, c)) in ranked.iter().enumerate() {
            if chosen.len() == want {
                break;
            }
            let count = per_zone.entry(c.zone.as_str()).or_insert(0);
            if !taken[i] && *count == round {
                taken[i] = true;
                *count += 1;
                chosen.push(c.id);
            }
        }
        round += 1;
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(zones: &[&str], per_zone: u64) -> Vec<Candidate> {
        let mut out = Vec::new();
        for (z, zone) in zones.iter().enumerate() {
            for i in 0..per_zone {
                out.push(Candidate {
                    id: 1000 * (z as u64 + 1) + i,
                    zone: zone.to_string(),
                });
            }
        }
        out
    }

    fn zone_of(c: &[Candidate], id: NodeId) -> &str {
        &c.iter().find(|c| c.id == id).unwrap().zone
    }

    #[test]
    fn deterministic_and_order_independent() {
        let nodes = cluster(&["a", "b", "c"], 4);
        let mut reversed = nodes.clone();
        reversed.reverse();
        for _ in 0..200 {
            let b = BlockId::random();
            let p = place(&b, &nodes, 6);
            assert_eq!(p, place(&b, &nodes, 6));
            assert_eq!(p, place(&b, &reversed, 6));
        }
    }

    #[test]
    fn distinct_and_capped_by_node_count() {
        let mut nodes = cluster(&["a", "b"], 2);
        nodes.push(nodes[0].clone()); // a duplicate counts once
        let b = BlockId::random();
        let p = place(&b, &nodes, 9);
        assert_eq!(p.len(), 4);
        let set: HashSet<_> = p.iter().collect();
        assert_eq!(set.len(), 4);
        assert!(place(&b, &[], 3).is_empty());
        assert!(place(&b, &nodes, 0).is_empty());
    }

    #[test]
    fn spread_across_zones() {
        let nodes = cluster(&["a", "b", "c"], 4);
        for _ in 0..300 {
            let b = BlockId::random();
            // 3 shards over 3 zones: one per zone.
            let p = place(&b, &nodes, 3);
            let zones: HashSet<_> = p.iter().map(|&id| zone_of(&nodes, id)).collect();
            assert_eq!(zones.len(), 3);
            // 7 shards over 3 zones: 3, 2, 2 (no zone gets a 3rd before all have 2),
            // and the first 3 shards are in distinct zones.
            let p = place(&b, &nodes, 7);
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for &id in &p {
                *counts.entry(zone_of(&nodes, id)).or_default() += 1;
            }
            let mut c: Vec<_> = counts.values().copied().collect();
            c.sort();
            assert_eq!(c, vec![2, 2, 3]);
            let first: HashSet<_> = p[..3].iter().map(|&id| zone_of(&nodes, id)).collect();
            assert_eq!(first.len(), 3);
        }
    }

    #[test]
    fn uses_all_nodes_roughly_evenly() {
        let nodes = cluster(&["a", "b", "c"], 2);
        let mut hits: HashMap<NodeId, usize> = HashMap::new();
        for _ in 0..3000 {
            for id in place(&BlockId::random(), &nodes, 3) {
                *hits.entry(id).or_default() += 1;
            }
        }
        // 9000 shards over 6 nodes: 1500 each on average.
        for n in &nodes {
            let h = hits.get(&n.id).copied().unwrap_or(0);
            assert!((1200..1800).contains(&h), "node {} got {h}", n.id);
        }
    }

    #[test]
    fn stable_when_a_node_is_added() {
        let nodes = cluster(&["a", "b", "c"], 4);
        let mut grown = nodes.clone();
        grown.push(Candidate {
            id: 99,
            zone: "a".into(),
        });
        let mut unchanged = 0;
        for _ in 0..1000 {
            let b = BlockId::random();
            let before = place(&b, &nodes, 3);
            let after = place(&b, &grown, 3);
            if before == after {
                unchanged += 1;
            } else {
                // Only placements the new node wins change, and it displaces
                // exactly one node (the others keep their shards, though
                // possibly at a different index).
                let b: HashSet<_> = before.iter().copied().collect();
                let a: HashSet<_> = after.iter().copied().collect();
                assert_eq!(a.difference(&b).collect::<Vec<_>>(), vec![&99]);
                assert_eq!(b.difference(&a).count(), 1, "{before:?} -> {after:?}");
            }
        }
        // The new node is the best of zone a's 5 nodes for ~1/5 of blocks.
        assert!(unchanged > 700, "only {unchanged}/1000 unchanged");
    }
}
