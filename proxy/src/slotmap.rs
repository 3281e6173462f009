//! The slot map: which shard owns each of the 16384 slots, how many
//! shards there are, and the record of a slot move in progress; durable in
//! `DIR/slots.map` (`MIGRATION.md`).
//!
//! Routing reads an owner with one relaxed load. Only the mover
//! ([`crate::migrate`]) changes the map, always file first (written to a
//! temporary file, synced, renamed, directory synced), memory after: a
//! proxy that dies at any point restarts with a map at least as new as
//! anything a shard was told.
//!
//! The file, line by line: `shardis-slots 1`, `shards N`, one `shard I
//! RANGES` per shard (`-` for none), `target N` while a scale to `N`
//! shards runs, and at most one `move FROM TO RANGES copy|drop` (the move
//! in progress and how far it got).

use std::{
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicU16, AtomicU64, AtomicUsize, Ordering},
        Mutex,
    },
};

use common::{slot::SLOT_COUNT, slotset::SlotSet};

/// How far a move got (`MIGRATION.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The slots still belong to `from`; `to` may hold part of a copy.
    Copy,
    /// The slots belong to `to`; `from` may still hold their keys.
    Drop,
}

/// A move of `slots` from shard `from` to shard `to`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Move {
    /// The source.
    pub from: usize,
    /// The target.
    pub to: usize,
    /// The slots moving.
    pub slots: SlotSet,
    /// How far it got.
    pub phase: Phase,
}

/// The map as data: owners, shard count, move record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapData {
    /// Owner of each slot.
    pub owners: Vec<u16>,
    /// Number of shards.
    pub shards: usize,
    /// The move in progress, if any.
    pub moving: Option<Move>,
    /// The shard count a scale in progress goes to (a restarted proxy
    /// goes on with it).
    pub target: Option<usize>,
}

impl MapData {
    /// Equal contiguous ranges over `shards` shards, nothing moving.
    pub fn fresh(shards: usize) -> MapData {
        let shards = shards.max(1);
        MapData {
            owners: (0..SLOT_COUNT)
                .map(|s| common::slot::shard_of_slot(s as u16, shards) as u16)
                .collect(),
            shards,
            moving: None,
            target: None,
        }
    }

    /// The slots of `shard`.
    pub fn slots_of(&self, shard: usize) -> SlotSet {
        let mut s = SlotSet::default();
        for (slot, &o) in self.owners.iter().enumerate() {
            if o as usize == shard {
                s.insert(slot as u16);
            }
        }
        s
    }

    /// The file's text.
    pub fn render(&self) -> String {
        let mut t = format!("shardis-slots 1\nshards {}\n", self.shards);
        for i in 0..self.shards {
            t.push_str(&format!("shard {i} {}\n", self.slots_of(i).to_ranges()));
        }
        if let Some(n) = self.target {
            t.push_str(&format!("target {n}\n"));
        }
        if let Some(m) = &self.moving {
            let phase = match m.phase {
                Phase::Copy => "copy",
                Phase::Drop => "drop",
            };
            t.push_str(&format!(
                "move {} {} {} {phase}\n",
                m.from,
                m.to,
                m.slots.to_ranges()
            ));
        }
        t
    }

    /// Reads the file's text; every slot must have exactly one owner
    /// below the shard count.
    pub fn parse(text: &str) -> Result<MapData, String> {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        if lines.next().map(str::trim) != Some("shardis-slots 1") {
            return Err("not a shardis slot map (version 1)".into());
        }
        let shards: usize = lines
            .next()
            .and_then(|l| l.trim().strip_prefix("shards "))
            .and_then(|n| n.trim().parse().ok())
            .filter(|&n| (1..=SLOT_COUNT).contains(&n))
            .ok_or("bad 'shards N' line")?;
        let mut owners = vec![u16::MAX; SLOT_COUNT];
        let mut moving = None;
        let mut target = None;
        for line in lines {
            let w: Vec<&str> = line.split_whitespace().collect();
            match w.as_slice() {
                ["shard", i, ranges] => {
                    let i: usize = i.parse().map_err(|_| format!("bad line '{line}'"))?;
                    let set = SlotSet::parse(ranges.as_bytes())
                        .ok_or_else(|| format!("bad line '{line}'"))?;
                    if i >= shards {
                        return Err(format!("shard {i} past the count in '{line}'"));
                    }
                    for s in set.iter() {
                        if owners[s as usize] != u16::MAX {
                            return Err(format!("slot {s} has two owners"));
                        }
                        owners[s as usize] = i as u16;
                    }
                }
                ["target", n] => {
                    let n = n
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=SLOT_COUNT).contains(n))
                        .ok_or_else(|| format!("bad line '{line}'"))?;
                    target = Some(n);
                }
                ["move", from, to, ranges, phase] => {
                    let parse = |x: &str| x.parse::<usize>().ok().filter(|&v| v < shards);
                    let (Some(from), Some(to), Some(slots)) =
                        (parse(from), parse(to), SlotSet::parse(ranges.as_bytes()))
                    else {
                        return Err(format!("bad line '{line}'"));
                    };
                    let phase = match *phase {
                        "copy" => Phase::Copy,
                        "drop" => Phase::Drop,
                        _ => return Err(format!("bad line '{line}'")),
                    };
                    moving = Some(Move {
                        from,
                        to,
                        slots,
                        phase,
                    });
                }
                _ => return Err(format!("bad line '{line}'")),
            }
        }
        if let Some(s) = owners.iter().position(|&o| o == u16::MAX) {
            return Err(format!("slot {s} has no owner"));
        }
        Ok(MapData {
            owners,
            shards,
            moving,
            target,
        })
    }
}

/// The live map (see the module docs).
pub struct SlotMap {
    owner: Box<[AtomicU16]>,
    shards: AtomicUsize,
    version: AtomicU64,
    file: Option<PathBuf>,
    /// The durable state; held while a change is written.
    data: Mutex<MapData>,
}

impl SlotMap {
    /// The map in `file` if it exists, else a fresh one over `shards`
    /// (written there at once).
    pub fn open(file: Option<PathBuf>, shards: usize) -> Result<SlotMap, String> {
        let data = match &file {
            Some(f) => match std::fs::read_to_string(f) {
                Ok(text) => MapData::parse(&text).map_err(|e| format!("{}: {e}", f.display()))?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let d = MapData::fresh(shards);
                    common::durable::write_synced(f, d.render().as_bytes())
                        .map_err(|e| format!("cannot write {}: {e}", f.display()))?;
                    d
                }
                Err(e) => return Err(format!("cannot read {}: {e}", f.display())),
            },
            None => MapData::fresh(shards),
        };
        Ok(SlotMap {
            owner: data.owners.iter().map(|&o| AtomicU16::new(o)).collect(),
            shards: AtomicUsize::new(data.shards),
            version: AtomicU64::new(1),
            file,
            data: Mutex::new(data),
        })
    }

    /// Where it is kept.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The shard owning `slot`.
    #[inline]
    pub fn owner(&self, slot: u16) -> usize {
        self.owner[slot as usize % SLOT_COUNT].load(Ordering::Relaxed) as usize
    }

    /// Number of shards.
    #[inline]
    pub fn shard_count(&self) -> usize {
        self.shards.load(Ordering::Acquire)
    }

    /// Moves up by one at every change of an owner (WATCH compares it).
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// A copy of the durable state.
    pub fn snapshot(&self) -> MapData {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MapData> {
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes the durable state with `f`, file first, then memory.
    pub fn change(&self, f: impl FnOnce(&mut MapData)) -> std::io::Result<()> {
        let mut data = self.lock();
        let mut next = data.clone();
        f(&mut next);
        if let Some(file) = &self.file {
            common::durable::write_synced(file, next.render().as_bytes())?;
        }
        let moved = next.owners != data.owners;
        for (i, &o) in next.owners.iter().enumerate() {
            self.owner[i].store(o, Ordering::Relaxed);
        }
        self.shards.store(next.shards, Ordering::Release);
        if moved {
            self.version.fetch_add(1, Ordering::AcqRel);
        }
        *data = next;
        Ok(())
    }

    /// Whether shard `shard` may attach telling `told` as its slots: they
    /// are its slots in the map, or differ from them only by the slots of
    /// the move in progress, which recovery settles. `Err` names both.
    pub fn check_told(&self, shard: usize, told: &SlotSet) -> Result<(), String> {
        let data = self.lock();
        let mine = data.slots_of(shard);
        if &mine == told {
            return Ok(());
        }
        if let Some(m) = data
            .moving
            .as_ref()
            .filter(|m| m.from == shard || m.to == shard)
        {
            let mut a = mine.clone();
            let mut b = told.clone();
            a.subtract(&m.slots);
            b.subtract(&m.slots);
            if a == b {
                return Ok(());
            }
        }
        Err(format!(
            "it says it owns slots {} but the slot map{} gives shard {shard} slots {}",
            told.to_ranges(),
            self.file
                .as_ref()
                .map_or(String::new(), |f| format!(" ({})", f.display())),
            mine.to_ranges()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_round_trips() {
        let mut d = MapData::fresh(3);
        d.moving = Some(Move {
            from: 0,
            to: 2,
            slots: SlotSet::range(10, 20),
            phase: Phase::Drop,
        });
        d.target = Some(4);
        for s in 10..=20 {
            d.owners[s] = 2;
        }
        let text = d.render();
        assert!(text.contains("move 0 2 10-20 drop"), "{text}");
        assert_eq!(MapData::parse(&text), Ok(d));
    }

    #[test]
    fn a_map_must_cover_every_slot_once() {
        let ok = MapData::fresh(2).render();
        assert!(MapData::parse(&ok.replace("0-8191", "0-8190")).is_err());
        assert!(MapData::parse(&ok.replace("8192-16383", "8191-16383")).is_err());
        assert!(MapData::parse(&ok.replace("shards 2", "shards 1")).is_err());
        assert!(MapData::parse("shards 2\n").is_err());
        assert!(MapData::parse(&format!("{ok}move 0 5 1-2 copy\n")).is_err());
    }

    #[test]
    fn a_shard_telling_other_slots_is_refused_unless_a_move_explains_it() {
        let dir = std::env::temp_dir().join(format!("slotmap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        let file = dir.join("slots.map");
        let _ = std::fs::remove_file(&file);
        let map = SlotMap::open(Some(file.clone()), 2).expect("fresh");
        assert_eq!(map.owner(0), 0);
        assert_eq!(map.owner(16383), 1);
        assert!(map.check_told(0, &SlotSet::range(0, 8191)).is_ok());
        let err = map
            .check_told(1, &SlotSet::range(0, 8191))
            .expect_err("wrong slots");
        assert!(
            err.contains("8192-16383") && err.contains("0-8191"),
            "{err}"
        );
        let moving = SlotSet::range(100, 199);
        map.change(|d| {
            d.moving = Some(Move {
                from: 0,
                to: 1,
                slots: moving.clone(),
                phase: Phase::Copy,
            })
        })
        .expect("written");
        let mut with = SlotSet::range(8192, 16383);
        with.union_with(&moving);
        assert!(map.check_told(1, &with).is_ok());
        let v = map.version();
        map.change(|d| {
            for s in moving.iter() {
                d.owners[s as usize] = 1;
            }
            d.moving = None;
        })
        .expect("written");
        assert!(map.version() > v);
        let again = SlotMap::open(Some(file), 5).expect("read back");
        assert_eq!(again.owner(150), 1);
        assert_eq!(again.shard_count(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
