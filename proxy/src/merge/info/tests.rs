//! Tests of the INFO, MEMORY and LATENCY merges.

use common::{reply::Proto, table::Cmd};

use super::*;

fn proxy() -> ProxyInfo {
    ProxyInfo {
        run_id: "r".repeat(40),
        ..ProxyInfo::default()
    }
}

#[test]
fn persistence_fields_merge_by_meaning() {
    let a = "keys:2\r\nexpires:1\r\ndb0_keys:2\r\ndb0_expires:1\r\nrdb_changes_since_last_save:3\r\nrdb_bgsave_in_progress:0\r\nrdb_last_save_time:100\r\nrdb_last_bgsave_status:ok\r\naof_last_write_status:ok\r\nshardd_generation:2\r\nshardd_appendfsync:always\r\n";
    let b = "keys:5\r\nexpires:0\r\ndb0_keys:5\r\ndb0_expires:0\r\nrdb_changes_since_last_save:4\r\nrdb_bgsave_in_progress:1\r\nrdb_last_save_time:90\r\nrdb_last_bgsave_status:err\r\naof_last_write_status:ok\r\n";
    let all = Sections::parse(&[b"everything"]);
    let text = info_text(all, &proxy(), &[Some(a), Some(b), None]);
    for want in [
        "rdb_changes_since_last_save:7\r\n",
        "rdb_bgsave_in_progress:1\r\n",
        "rdb_last_save_time:90\r\n",
        "rdb_last_bgsave_status:err\r\n",
        "aof_last_write_status:ok\r\n",
        "db0:keys=7,expires=1,avg_ttl=0\r\n",
        "shard0:pid=?,keys=2,expires=1,used_memory=0,used_memory_rss=0,generation=2,appendfsync=always\r\n",
        "shard2:status=unavailable\r\n",
        "# Cluster\r\ncluster_enabled:0\r\n",
    ] {
        assert!(text.contains(want), "{want} in {text}");
    }
    let only = info_text(Sections::parse(&[b"persistence"]), &proxy(), &[Some(a)]);
    assert!(only.starts_with("# Persistence\r\nrdb_changes"), "{only}");
    assert!(
        !only.contains("# Server") && !only.contains("# Keyspace"),
        "{only}"
    );
}

#[test]
fn sections_are_chosen_as_redis_chooses_them() {
    let names = |args: &[&[u8]]| {
        let t = info_text(Sections::parse(args), &proxy(), &[]);
        t.split("\r\n")
            .filter_map(|l| l.strip_prefix("# "))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let default = names(&[]);
    assert_eq!(
        default,
        [
            "Server",
            "Clients",
            "Memory",
            "Persistence",
            "Stats",
            "Replication",
            "CPU",
            "Modules",
            "Errorstats",
            "Cluster",
            "Keyspace",
            "Shards"
        ]
    );
    assert_eq!(names(&[b"default"]), default);
    assert_eq!(names(&[b"all"]).len(), 14);
    assert_eq!(names(&[b"CPU", b"server", b"cpu"]), ["Server", "CPU"]);
    assert_eq!(names(&[b"cpu", b"sentinel"]), ["CPU"]);
    assert!(names(&[b"sentinel"]).is_empty());
    assert_eq!(names(&[b"commandSTATS"]), ["Commandstats"]);
    assert!(!Sections::parse(&[b"server", b"cluster"]).need_shards());
    assert!(Sections::parse(&[b"server", b"keyspace"]).need_shards());
    let text = info_text(Sections::parse(&[b"cpu", b"default"]), &proxy(), &[]);
    assert_eq!(text.matches("used_cpu_user_children").count(), 1);
    let t = info_text(Sections::parse(&[]), &proxy(), &[]);
    assert!(t.ends_with("\r\n") && !t.ends_with("\r\n\r\n"), "{t:?}");
}

#[test]
fn command_statistics_add_up_over_the_proxy_and_the_shards() {
    let mut p = proxy();
    p.cmds.call(Cmd::Ping, 3_000);
    p.cmds.rejected(Cmd::Get);
    p.cmds
        .error_reply(b"-ERR wrong number of arguments for 'get' command\r\n");
    let mut shard = CmdStats::new();
    shard.call(Cmd::Get, 2_000);
    shard.call(Cmd::Get, 4_000);
    shard.failed(Cmd::Get);
    shard.error_reply(b"-WRONGTYPE x\r\n");
    let mut text = String::new();
    shard.write_lines(&mut text, true, true);
    let all = info_text(Sections::parse(&[b"all"]), &p, &[Some(&text), None]);
    for want in [
        "cmdstat_get:calls=2,usec=6,usec_per_call=3.00,rejected_calls=1,failed_calls=1\r\n",
        "cmdstat_ping:calls=1,usec=3,usec_per_call=3.00,rejected_calls=0,failed_calls=0\r\n",
        "errorstat_ERR:count=1\r\nerrorstat_WRONGTYPE:count=1\r\n",
        "total_error_replies:2\r\n",
        "latency_percentiles_usec_get:p50=2.047,p99=4.095,p99.9=4.095\r\n",
        "latency_percentiles_usec_ping:p50=3.071,",
    ] {
        assert!(all.contains(want), "{want} in {all}");
    }
    let latencystats = Sections::parse(&[b"latencystats"]);
    p.latency_tracking.percentiles = vec![0.0, 50.0, 99.99];
    let chosen = info_text(latencystats, &p, &[Some(&text)]);
    assert!(
        chosen.contains("latency_percentiles_usec_get:p0=2.047,p50=2.047,p99.99=4.095\r\n"),
        "{chosen}"
    );
    p.latency_tracking.on = false;
    let off = info_text(latencystats, &p, &[]);
    assert_eq!(off, "# Latencystats\r\n");
    let m = InfoMerge {
        proxy: p,
        what: InfoWhat::LatencyHistogram(vec![b"get".to_vec(), b"nope".to_vec()]),
    };
    let mut out = Vec::new();
    m.finish(&[Some(&text)], &mut Reply::new(&mut out, Proto::Resp2));
    assert_eq!(
        String::from_utf8_lossy(&out),
        "*2\r\n$3\r\nget\r\n*4\r\n$5\r\ncalls\r\n:2\r\n$14\r\nhistogram_usec\r\n*4\r\n:2\r\n:1\r\n:4\r\n:2\r\n"
    );
}

#[test]
fn memory_stats_and_doctor_speak_for_the_whole_server() {
    let mut p = proxy();
    p.alloc = AllocatorFigures {
        allocated: 1000,
        active: 1200,
        resident: 1500,
    };
    p.rss = 2000;
    let shard = "keys:10\r\nused_memory:9000\r\nallocator_active:9500\r\nallocator_resident:9800\r\nused_memory_rss:10000\r\nkeyspace_table_bytes:100\r\nkeyspace_expiry_bytes:0\r\n";
    let m = InfoMerge {
        proxy: p,
        what: InfoWhat::MemoryStats,
    };
    let mut out = Vec::new();
    m.finish(&[Some(shard)], &mut Reply::new(&mut out, Proto::Resp3));
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.starts_with("%30\r\n$14\r\npeak.allocated\r\n:10000\r\n"),
        "{text}"
    );
    for want in [
        "$15\r\ntotal.allocated\r\n:10000\r\n",
        "$10\r\nkeys.count\r\n:10\r\n",
        "$14\r\noverhead.total\r\n:1100\r\n",
        "$13\r\ndataset.bytes\r\n:8900\r\n",
        "$12\r\nshards.count\r\n:1\r\n",
    ] {
        assert!(text.contains(want), "{want} in {text}");
    }
    let m = InfoMerge {
        what: InfoWhat::MemoryDoctor,
        ..m
    };
    let mut out = Vec::new();
    m.finish(&[Some(shard)], &mut Reply::new(&mut out, Proto::Resp2));
    assert!(String::from_utf8_lossy(&out).contains("too little"));
}
