//! What active defragmentation gives back, in one process under jemalloc
//! (the allocator `shardd` uses): loads `keys` strings of 16 bytes with
//! 32-byte values into a keyspace, then runs defragmentation passes as a
//! shard does (`keyspace/defrag.rs`, with the default thresholds) and
//! prints jemalloc's figures per key after each, and the pack heap's
//! (`keyspace/pack.rs`). With a second argument it also prints jemalloc's
//! own report (`malloc_stats_print`) at the end: its bins show which size
//! classes hold slabs.
//!
//! `cargo run --release -p shardd --example defrag_probe [keys] [stats]`

use shardd::keyspace::Keyspace;

#[global_allocator]
static GLOBAL: common::alloc::CountingJemalloc = common::alloc::CountingJemalloc;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    let figures = || common::alloc::allocator_figures().expect("jemalloc's statistics");
    let f0 = figures();
    let mut ks = Keyspace::new();
    for i in 0..n {
        ks.insert_str(
            format!("key:{i:012}").as_bytes(),
            format!("{i:032}").as_bytes(),
        );
    }
    let show = |label: &str| {
        let f = figures();
        let p = shardd::keyspace::pack::figures();
        let per_key = |a: u64, b: u64| (a as f64 - b as f64) / n as f64;
        println!(
            "{label}: allocated {:.1}, active {:.1}, resident {:.1} B/key (free in active pages {:.1}); \
             pack chunks {} bytes, {} live",
            per_key(f.allocated, f0.allocated),
            per_key(f.active, f0.active),
            per_key(f.resident, f0.resident),
            per_key(f.active, f.allocated),
            p.held,
            p.live
        );
    };
    show("loaded");
    let cfg = shardd::settings::Defrag {
        enabled: true,
        threshold_lower_percent: 10,
        ignore_bytes: 1 << 20,
    };
    for pass in 0..3 {
        // A look at the figures happens at most once a second.
        std::thread::sleep(std::time::Duration::from_millis(1_100));
        ks.defrag_step(cfg, common::alloc::allocator_figures);
        let mut steps = 0;
        while ks.defrag.running() {
            ks.defrag_step(cfg, || None);
            steps += 1;
        }
        show(&format!(
            "after look {pass} ({steps} more steps, {} arenas moved in all)",
            ks.defrag.hits
        ));
    }
    if std::env::args().nth(2).is_some() {
        println!("{}", common::alloc::malloc_stats_text());
    }
}
