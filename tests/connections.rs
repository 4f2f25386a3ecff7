//! Hostile and slow clients: headers trickled a byte at a time, idle kept-alive connections,
//! more connections than allowed, and a SIGTERM while a slow client holds a request open.
//! Connection handling does not touch the database, so these run on SQLite.

mod common;

use std::time::{Duration, Instant};

use common::binary::Server;
use common::load::{Load, database_with_link, stored_numbers};
use common::{Backend, spawn_app_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Waits until the server closes `stream` (a read of 0 bytes, or a reset); how long that took.
async fn time_until_closed(stream: &mut TcpStream, limit: Duration) -> Duration {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(limit, stream.read(&mut buf)).await {
            Err(_) => panic!("the server kept the connection open for {limit:?}"),
            Ok(Ok(0) | Err(_)) => return started.elapsed(),
            Ok(Ok(_)) => {}
        }
    }
}

async fn connect(address: &str) -> TcpStream {
    TcpStream::connect(address.trim_start_matches("http://"))
        .await
        .expect("connect")
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_disconnected_by_the_header_timeout() {
    let app = spawn_app_with(Backend::Sqlite, &["--header-timeout", "1s"]).await;
    let mut stream = connect(&app.address).await;
    let trickle = async {
        for byte in b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: 1234567890".iter() {
            if stream.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let started = Instant::now();
    trickle.await;
    let mut buf = [0u8; 64];
    let closed = matches!(stream.read(&mut buf).await, Ok(0) | Err(_));
    let elapsed = started.elapsed();
    assert!(closed, "the connection was closed");
    assert!(
        elapsed < Duration::from_secs(4),
        "cut off after {elapsed:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(900),
        "cut off after {elapsed:?}, before the timeout"
    );
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let app = spawn_app_with(Backend::Sqlite, &["--idle-timeout", "1s"]).await;
    let mut stream = connect(&app.address).await;
    stream
        .write_all(b"GET /rest/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 4096];
    let read = stream.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..read]).starts_with("HTTP/1.1 200"));
    let idle = time_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(idle >= Duration::from_millis(900), "closed after {idle:?}");
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let app = spawn_app_with(Backend::Sqlite, &["--max-connections", "2"]).await;
    let first = connect(&app.address).await;
    let second = connect(&app.address).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let health = format!("{}/rest/health", app.address);
    assert!(
        client.get(&health).send().await.is_err(),
        "a third connection is not served"
    );
    drop((first, second));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let served = client
        .get(&health)
        .send()
        .await
        .expect("served once a slot is free");
    assert_eq!(served.status(), 200);
}

#[tokio::test]
async fn sigterm_with_slow_clients_exits_within_the_deadline_and_loses_no_click() {
    let (url, _database, store) = database_with_link(Backend::Sqlite, "slow").await;
    let mut server = Server::start(
        &url,
        &["--shutdown-timeout", "2s", "--header-timeout", "60s"],
    )
    .await;
    // One client trickles its headers; another sends a request head and then its body slowly,
    // so a request is in flight when the signal comes.
    let mut trickling = connect(&server.address).await;
    trickling
        .write_all(b"GET /slow HTTP/1.1\r\nHo")
        .await
        .unwrap();
    let mut uploading = connect(&server.address).await;
    uploading
        .write_all(
            b"POST /rest/v3/short-urls HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 1000\r\n\r\n{\"longUrl\":",
        )
        .await
        .unwrap();
    let load = Load::start(&server.address, "slow", 8);
    load.wait_for(200).await;
    server.signal("-TERM");
    let signalled = Instant::now();
    let exit = tokio::task::spawn_blocking(move || {
        let code = server.wait();
        (code, server)
    });
    let (code, _server) = tokio::time::timeout(Duration::from_secs(15), exit)
        .await
        .expect("the process exits")
        .unwrap();
    let took = signalled.elapsed();
    let acked = load.stop().await;
    assert_eq!(code, Some(0), "a clean exit");
    assert!(
        took < Duration::from_secs(6),
        "exit took {took:?} with a 2 s deadline"
    );

    let _restarted = Server::start(&url, &[]).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while store.outbox_stats().await.unwrap().backlog > 0 {
        assert!(Instant::now() < deadline, "outbox did not drain");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stored = stored_numbers(&store, &url, "slow").await;
    assert!(
        acked.is_subset(&stored),
        "acknowledged clicks lost at shutdown"
    );
}

#[tokio::test]
async fn an_api_request_running_past_the_request_timeout_gets_503_problem_json() {
    let app = spawn_app_with(Backend::Sqlite, &["--request-timeout", "1s"]).await;
    let mut stream = connect(&app.address).await;
    let head = format!(
        "POST /rest/v3/short-urls HTTP/1.1\r\nHost: x\r\nX-Api-Key: {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"longUrl\":",
        app.api_key
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&answer).contains("\"status\":503") {
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("answered within 5 s")
            .unwrap();
        assert!(
            read > 0,
            "closed without an answer: {}",
            String::from_utf8_lossy(&answer)
        );
        answer.extend_from_slice(&buf[..read]);
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}
