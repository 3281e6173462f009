//! The other process of the cross-process ring benchmarks.
//!
//! `ring-bench-peer sink|echo SOCK spin|park`: listen on SOCK, accept one
//! attach, then either read every record (answering a one-byte fence record
//! with an ack, so the benchmark knows everything arrived) or send every
//! record back. `spin` polls without parking; `park` parks when idle.

use std::{path::Path, process::ExitCode, time::Duration};

use shared_ring::{
    control::{ControlListener, Hello},
    wait::{send_blocking, wait_readable},
    Channel, Doorbell, RingError,
};

/// The byte of a fence record.
const FENCE: u8 = 0xFF;
const TIMEOUT: Duration = Duration::from_secs(60);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: ring-bench-peer sink|echo SOCK spin|park");
        return ExitCode::from(2);
    }
    let echo = args[1] == "echo";
    let spin = args[3] == "spin";
    match serve(Path::new(&args[2]), echo, spin) {
        Ok(()) | Err(RingError::PeerGone) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ring-bench-peer: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(sock: &Path, echo: bool, spin: bool) -> Result<(), RingError> {
    let bell = Doorbell::new()?;
    let listener = ControlListener::bind(sock)?;
    let me = Hello {
        generation: 1,
        id: 0,
        max_record: 1 << 20,
        info: Vec::new(),
    };
    let mut ch = loop {
        bell.wait(&[listener.fd()], Some(TIMEOUT))?;
        if let Some(ch) = listener.accept(&me, &bell)? {
            break ch;
        }
    };
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut idle = 0u32;
    loop {
        if spin {
            if ch.rx.is_empty() {
                idle += 1;
                if idle.is_multiple_of(1_000_000) && !ch.peer_alive() {
                    return Ok(());
                }
                std::hint::spin_loop();
                continue;
            }
            idle = 0;
        } else if !wait_readable(&ch, &bell, TIMEOUT)? {
            continue;
        }
        ch.rx.poll(|r| {
            if echo {
                out.push(r.to_vec());
            } else if r == [FENCE] {
                out.push(vec![FENCE]);
            }
            true
        })?;
        flush(&mut ch, &bell, &mut out)?;
    }
}

fn flush(ch: &mut Channel, bell: &Doorbell, out: &mut Vec<Vec<u8>>) -> Result<(), RingError> {
    for rec in out.drain(..) {
        send_blocking(ch, bell, &rec, TIMEOUT)?;
    }
    ch.tx.publish();
    Ok(())
}
