//! TIME, SHUTDOWN, DEBUG SLEEP, and FUNCTION/SCRIPT FLUSH.

use std::time::Duration;

use super::{eq, Call};

/// `TIME`: seconds and microseconds since the epoch.
pub fn time(call: Call) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    call.reply(|r| {
        r.array(2);
        r.bulk(now.as_secs().to_string().as_bytes());
        r.bulk(now.subsec_micros().to_string().as_bytes());
    });
}

/// `SHUTDOWN`: the proxy stops its shards (each syncs its log) and exits.
pub fn shutdown(call: Call) {
    call.w.shared.shutdown.notify_one();
    call.reply(|r| r.ok());
    call.session.close = true;
}

/// Longest `DEBUG SLEEP`.
const DEBUG_SLEEP_MAX_SECS: f64 = 3600.0;

/// `DEBUG SLEEP seconds`: this connection's reply waits (other clients do
/// not, unlike Redis, where the whole server sleeps). Other DEBUG
/// subcommands are refused.
pub async fn debug(call: Call<'_, '_>) {
    if !eq(call.argv[1], "sleep") {
        return call.reply(|r| r.error("ERR DEBUG subcommand not supported by shardis"));
    }
    let secs = call
        .argv
        .get(2)
        .and_then(|s| std::str::from_utf8(s).ok())
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0);
    match secs {
        Some(s) => {
            tokio::time::sleep(Duration::from_secs_f64(s.min(DEBUG_SLEEP_MAX_SECS))).await;
            call.reply(|r| r.ok());
        }
        None => call.reply(|r| r.error("ERR value is not a valid float")),
    }
}
