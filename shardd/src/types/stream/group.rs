//! Consumer groups: each has a last delivered id, a read counter, the
//! pending entries list (PEL: entries delivered and not yet acknowledged,
//! each with its owner, last delivery time and delivery count) and its
//! consumers, each with its own view of the PEL. Groups and consumers are
//! kept in name order, as Redis's radix trees list them.

use std::collections::{BTreeMap, BTreeSet};

use super::StreamId;

/// `entries_read` when it is not known.
pub const INVALID_ENTRIES_READ: i64 = -1;

/// A pending entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nack {
    /// When it was last delivered (Unix ms).
    pub delivery_time: u64,
    /// How many times it was delivered.
    pub delivery_count: u64,
    /// Its owner's name.
    pub consumer: Box<[u8]>,
}

/// A consumer of a group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Consumer {
    /// When it last read or claimed (Unix ms).
    pub seen_time: u64,
    /// Its pending entries.
    pub pel: BTreeSet<StreamId>,
}

/// A consumer group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Group {
    /// The last id delivered to the group.
    pub last_id: StreamId,
    /// Entries the group read, when known ([`INVALID_ENTRIES_READ`] if not).
    pub entries_read: i64,
    /// The pending entries.
    pub pel: BTreeMap<StreamId, Nack>,
    /// The consumers, by name.
    pub consumers: BTreeMap<Vec<u8>, Consumer>,
}

impl Group {
    /// A group starting after `last_id`.
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group {
            last_id,
            entries_read,
            ..Group::default()
        }
    }

    /// Consumer `name`, created (seen now) if missing; true when created.
    pub fn consumer(&mut self, name: &[u8], now: u64) -> (&mut Consumer, bool) {
        let created = !self.consumers.contains_key(name);
        let c = self
            .consumers
            .entry(name.to_vec())
            .or_insert_with(|| Consumer {
                seen_time: now,
                pel: BTreeSet::new(),
            });
        (c, created)
    }

    /// Removes `id` from the PEL (and its owner's); true if it was there.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(nack) = self.pel.remove(&id) else {
            return false;
        };
        if let Some(c) = self.consumers.get_mut(&nack.consumer[..]) {
            c.pel.remove(&id);
        }
        true
    }

    /// Gives pending entry `id` (present in the PEL) to `consumer` (which
    /// exists), delivered at `time`.
    pub fn assign(&mut self, id: StreamId, consumer: &[u8], time: u64, count: u64) {
        let old = self.pel.insert(
            id,
            Nack {
                delivery_time: time,
                delivery_count: count,
                consumer: consumer.into(),
            },
        );
        if let Some(old) = old.filter(|o| &o.consumer[..] != consumer) {
            if let Some(c) = self.consumers.get_mut(&old.consumer[..]) {
                c.pel.remove(&id);
            }
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
    }

    /// Deletes consumer `name`, its pending entries with it; how many it
    /// had (`None` if there was no such consumer).
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let c = self.consumers.remove(name)?;
        for id in &c.pel {
            self.pel.remove(id);
        }
        Some(c.pel.len())
    }

    /// Heap bytes (an estimate: tree nodes are not measured exactly).
    pub fn heap_bytes(&self) -> usize {
        let nacks: usize = self.pel.values().map(|n| 48 + n.consumer.len()).sum();
        let consumers: usize = self
            .consumers
            .iter()
            .map(|(k, c)| 48 + k.len() + c.pel.len() * 24)
            .sum();
        nacks + consumers
    }
}
