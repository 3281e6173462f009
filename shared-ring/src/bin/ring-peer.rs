//! A second process for shared-ring's cross-process tests and benchmarks.
//!
//! `ring-peer produce SOCK COUNT SEED [PAUSE_US]`: attach to SOCK and send
//! COUNT records generated from SEED (see `shared_ring::testgen`), pausing
//! up to PAUSE_US microseconds between random batches.
//! `ring-peer hold SOCK`: attach, then wait to be killed.
//! `ring-peer serve-echo SOCK`: listen on SOCK, accept one attach and send
//! every record back until the peer goes away.

use std::{path::Path, process::ExitCode, time::Duration};

use shared_ring::{
    control::{attach, ControlListener, Hello, RingConfig},
    testgen::Gen,
    wait::{send_blocking, wait_readable},
    Doorbell, RingError,
};

const PEER_TIMEOUT: Duration = Duration::from_secs(30);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.get(1).map(String::as_str) {
        Some("produce") if args.len() >= 5 => produce(&args),
        Some("hold") if args.len() == 3 => hold(Path::new(&args[2])),
        Some("serve-echo") if args.len() == 3 => serve_echo(Path::new(&args[2])),
        _ => {
            eprintln!(
                "usage: ring-peer produce SOCK COUNT SEED [PAUSE_US] | hold SOCK | serve-echo SOCK"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ring-peer: {e}");
            ExitCode::FAILURE
        }
    }
}

fn hello() -> Hello {
    Hello {
        generation: std::process::id() as u64,
        id: 1,
        max_record: 1 << 24,
        info: Vec::new(),
    }
}

fn config() -> RingConfig {
    RingConfig {
        capacity_bytes: 1 << 16,
        max_record_bytes: 1 << 24,
    }
}

fn produce(args: &[String]) -> Result<(), RingError> {
    let parse = |s: &str| {
        s.parse::<u64>()
            .map_err(|_| RingError::BadHandshake("bad number"))
    };
    let count = parse(&args[3])?;
    let seed = parse(&args[4])?;
    let pause_us = args.get(5).map(|s| parse(s)).transpose()?.unwrap_or(0);
    let bell = Doorbell::new()?;
    let mut ch = attach(Path::new(&args[2]), &hello(), &bell, config())?;
    let mut gen = Gen::new(seed);
    // Batching has its own generator so record contents stay in step with the checker.
    let mut pace = Gen::new(seed ^ 0x5eed);
    let mut buf = Vec::new();
    let mut batch_left = 0u64;
    for i in 0..count {
        gen.record(i, &mut buf);
        send_blocking(&mut ch, &bell, &buf, PEER_TIMEOUT)?;
        if batch_left == 0 {
            ch.tx.publish();
            batch_left = pace.below(300);
            if pause_us > 0 {
                std::thread::sleep(Duration::from_micros(pace.below(pause_us + 1)));
            }
        } else {
            batch_left -= 1;
        }
    }
    ch.tx.publish();
    // Stay attached until the consumer has read everything.
    while ch.peer_alive() && !ring_drained(&mut ch) {
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(())
}

fn ring_drained(ch: &mut shared_ring::Channel) -> bool {
    ch.tx.free_bytes_now() == ch.tx.segment().capacity()
}

fn hold(sock: &Path) -> Result<(), RingError> {
    let bell = Doorbell::new()?;
    let _ch = attach(sock, &hello(), &bell, config())?;
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

fn serve_echo(sock: &Path) -> Result<(), RingError> {
    let bell = Doorbell::new()?;
    let listener = ControlListener::bind(sock)?;
    let mut ch = loop {
        bell.wait(&[listener.fd()], Some(PEER_TIMEOUT))?;
        if let Some(ch) = listener.accept(&hello(), &bell)? {
            break ch;
        }
    };
    let mut pending: Vec<Vec<u8>> = Vec::new();
    loop {
        match wait_readable(&ch, &bell, PEER_TIMEOUT) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(RingError::PeerGone) => return Ok(()),
            Err(e) => return Err(e),
        }
        ch.rx.poll(|r| {
            pending.push(r.to_vec());
            true
        })?;
        for rec in pending.drain(..) {
            send_blocking(&mut ch, &bell, &rec, PEER_TIMEOUT)?;
        }
        ch.tx.publish();
    }
}
