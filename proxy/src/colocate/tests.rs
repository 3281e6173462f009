use super::*;

const SLOTS: usize = common::slot::SLOT_COUNT;

/// Slots 0..8192 on shard 0, the rest on shard 1.
fn two_shards() -> Vec<u16> {
    (0..SLOTS).map(|s| u16::from(s >= SLOTS / 2)).collect()
}

/// A key of slot `slot` (a hash tag found by trying, once for all slots).
fn key_of(slot: u16, name: &str) -> Vec<u8> {
    static TAGS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let tags = TAGS.get_or_init(|| {
        let mut tags = vec![String::new(); SLOTS];
        let mut left = SLOTS;
        for i in 0u32.. {
            let tag = format!("t{i}");
            let t = &mut tags[key_slot(tag.as_bytes()) as usize];
            if t.is_empty() {
                *t = tag;
                left -= 1;
                if left == 0 {
                    break;
                }
            }
        }
        tags
    });
    format!("{{{}}}{name}", tags[slot as usize]).into_bytes()
}

/// Notes `keys` `times` times over [`TICKS_MIN`] seconds.
fn note_over_ticks(c: &Colocate, keys: &[Vec<u8>], times: usize, copied: usize) {
    for i in 0..times {
        if i % (times / TICKS_MIN as usize).max(1) == 0 {
            c.decay(Instant::now());
        }
        c.note(keys.iter().map(Vec::as_slice), copied);
    }
}

#[test]
fn a_queues_keys_come_together_and_its_jobs_stay_where_they_are() {
    let c = Colocate::new(64);
    let owners = two_shards();
    // The queue: two keys on shard 0, three on shard 1.
    let queue: Vec<Vec<u8>> = [10u16, 20, 9000, 9100, 9200]
        .iter()
        .map(|&s| key_of(s, "q"))
        .collect();
    for job in 0..400u16 {
        if job % 100 == 0 {
            c.decay(Instant::now());
        }
        let job_key = key_of(100 + job * 37 % 16000, "job");
        let keys = queue.iter().chain(std::iter::once(&job_key));
        c.note(keys.map(Vec::as_slice), 100);
    }
    let now = Instant::now();
    let b = c.plan(&owners, now).expect("a batch");
    assert_eq!(
        b,
        Batch {
            from: 0,
            to: 1,
            slots: vec![10, 20]
        }
    );
    // Once there, nothing more to do.
    let mut after = owners.clone();
    after[10] = 1;
    after[20] = 1;
    c.moved(&b, 2, now);
    assert_eq!(c.plan(&after, now), None);
    assert_eq!(c.slots_moved.load(Ordering::Relaxed), 2);
}

#[test]
fn big_copies_weigh_more_than_many_small_ones() {
    let c = Colocate::new(64);
    let keys = [key_of(5, "list"), key_of(9005, "events")];
    // 12 uses of 1 MiB each, over 3 seconds: weight about 12 * 65.
    note_over_ticks(&c, &keys, 12, 1 << 20);
    assert!(c.plan(&two_shards(), Instant::now()).is_some());
    // 12 small uses weigh 12 at most: not enough.
    let c = Colocate::new(64);
    note_over_ticks(&c, &keys, 12, 10);
    assert_eq!(c.plan(&two_shards(), Instant::now()), None);
    // Many uses within one second: a burst, not a habit.
    let c = Colocate::new(64);
    for _ in 0..1000 {
        c.note(keys.iter().map(Vec::as_slice), 1 << 20);
    }
    assert_eq!(c.plan(&two_shards(), Instant::now()), None);
    // A single huge copy is not a habit.
    let c = Colocate::new(64);
    c.note(keys.iter().map(Vec::as_slice), 1 << 30);
    assert_eq!(c.plan(&two_shards(), Instant::now()), None);
}

#[test]
fn a_group_goes_where_one_of_its_slots_was_moved_lately() {
    let c = Colocate::new(8);
    let keys = [key_of(1, "a"), key_of(2, "b"), key_of(9001, "c")];
    note_over_ticks(&c, &keys, 60, 0);
    let owners = two_shards();
    let now = Instant::now();
    // Two of three on shard 0: the third comes.
    let b = c.plan(&owners, now).expect("a batch");
    assert_eq!((b.from, b.to, b.slots.clone()), (1, 0, vec![9001]));
    // But slot 9001 was just moved to shard 1: the others go there.
    c.pin(&[9001], now);
    let b = c.plan(&owners, now).expect("a batch");
    assert_eq!((b.from, b.to, b.slots), (0, 1, vec![1, 2]));
    // Pinned on both sides: left alone.
    c.pin(&[1], now);
    assert_eq!(c.plan(&owners, now), None);
    // A scale forgets them.
    c.unpin_all();
    assert!(c.plan(&owners, now).is_some());
    c.pin(&[1, 9001], now);
    assert_eq!(c.plan(&owners, now), None);
    // Pins run out.
    let later = now + Duration::from_secs(PIN_SECS + 1);
    c.decay(later);
    assert!(c.plan(&owners, later).is_some());
}

#[test]
fn a_key_every_command_touches_attracts_nothing() {
    let c = Colocate::new(8);
    let hub = key_of(3, "global");
    for _ in 0..20 {
        c.decay(Instant::now());
        for other in 0..100u16 {
            let k = key_of(9000 + other, "user");
            c.note([hub.as_slice(), k.as_slice()], 0);
        }
    }
    assert_eq!(c.plan(&two_shards(), Instant::now()), None);
}

#[test]
fn wide_commands_and_quiet_pairs_are_no_groups() {
    let c = Colocate::new(8);
    let wide: Vec<Vec<u8>> = (0..=NOTE_SLOTS_MAX as u16)
        .map(|i| key_of(i * 900, "w"))
        .collect();
    note_over_ticks(&c, &wide, 100, 0);
    assert_eq!(c.plan(&two_shards(), Instant::now()), None);
    // Used often, then not: a minute of quiet forgets it.
    let pair = [key_of(7, "x"), key_of(9007, "y")];
    note_over_ticks(&c, &pair, 100, 0);
    let now = Instant::now();
    assert!(c.plan(&two_shards(), now).is_some());
    for _ in 0..60 {
        c.decay(now);
    }
    assert_eq!(c.plan(&two_shards(), now), None);
    // Off: nothing noted, nothing planned.
    let off = Colocate::new(0);
    note_over_ticks(&off, &pair, 100, 0);
    assert_eq!(off.plan(&two_shards(), now), None);
}

#[test]
fn groups_stop_growing_at_their_limit() {
    let mut g = Groups::default();
    for s in 1..=(GROUP_MAX as u16 + 10) {
        g.join(0, s);
    }
    let all = g.all();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].len(), GROUP_MAX);
}

#[test]
fn the_table_stays_bounded() {
    let c = Colocate::new(8);
    for i in 0..3000u16 {
        let keys = [
            key_of(i, "a"),
            key_of(i + 5000, "b"),
            key_of(i + 10000, "c"),
        ];
        c.note(keys.iter().map(Vec::as_slice), 0);
    }
    assert!(c.lock().pairs.len() <= PAIRS_MAX);
}
