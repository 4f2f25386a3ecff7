//! The watchdog's three states over an in-memory socket, in paused time.

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, duplex};

use super::*;

const LIMITS: Timeouts = Timeouts {
    header: Duration::from_secs(10),
    idle: Duration::from_secs(60),
};

fn watched() -> (Watched<DuplexStream>, DuplexStream, Arc<Activity>) {
    let (server, client) = duplex(1024);
    let activity = Arc::new(Activity::default());
    (
        Watched::new(server, Arc::clone(&activity), LIMITS),
        client,
        activity,
    )
}

/// Reads until the watchdog gives up; how long (in paused time) that took.
async fn time_until_closed(socket: &mut Watched<DuplexStream>) -> Duration {
    let started = Instant::now();
    let mut buf = [0u8; 64];
    loop {
        match socket.read(&mut buf).await {
            Ok(0) => panic!("peer closed"),
            Ok(_) => {}
            Err(err) => {
                assert_eq!(err.kind(), io::ErrorKind::TimedOut);
                return started.elapsed();
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_silent_connection_is_closed_after_the_idle_timeout() {
    let (mut socket, _client, _) = watched();
    assert_eq!(time_until_closed(&mut socket).await, LIMITS.idle);
}

#[tokio::test(start_paused = true)]
async fn headers_trickling_a_byte_a_second_are_cut_off_by_the_header_timeout() {
    let (mut socket, mut client, _) = watched();
    tokio::spawn(async move {
        for byte in b"GET / HTTP/1.1\r\nHost: example\r\nX-Slow: yes\r\n"
            .iter()
            .cycle()
        {
            if client.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    let closed_after = time_until_closed(&mut socket).await;
    assert!(closed_after <= LIMITS.header, "{closed_after:?}");
    assert!(
        closed_after >= LIMITS.header - Duration::from_secs(1),
        "{closed_after:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn no_deadline_applies_while_a_request_is_served() {
    let (mut socket, _client, activity) = watched();
    let serving = activity.begin();
    let mut buf = [0u8; 8];
    let read = tokio::time::timeout(LIMITS.idle * 3, socket.read(&mut buf)).await;
    assert!(read.is_err(), "still waiting after three idle timeouts");
    drop(serving);
    assert_eq!(time_until_closed(&mut socket).await, LIMITS.idle);
}

#[tokio::test(start_paused = true)]
async fn after_a_request_the_idle_timeout_applies_not_the_header_timeout() {
    let (mut socket, mut client, activity) = watched();
    client.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 64];
    assert!(socket.read(&mut buf).await.unwrap() > 0);
    drop(activity.begin());
    socket.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
    assert_eq!(time_until_closed(&mut socket).await, LIMITS.idle);
}
