//! Standard Webhooks 1.0 signatures: `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`
//! under the secret's bytes, one per secret, separated by spaces.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::WebhookSecret;

/// The `webhook-signature` header value for a delivery signed with every secret in `secrets`.
pub fn signature_header(
    secrets: &[&WebhookSecret],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets
        .iter()
        .map(|secret| format!("v1,{}", sign(secret, id, timestamp, body)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The base64 signature of one delivery under one secret.
fn sign(secret: &WebhookSecret, id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = secret
        .expose()
        .strip_prefix("whsec_")
        .and_then(|encoded| STANDARD.decode(encoded).ok())
        .unwrap_or_default();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes a key of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specs_example_signs_as_published() {
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let header = signature_header(
            &[&secret],
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(header, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn every_secret_signs_and_the_body_matters() {
        let (one, two) = (WebhookSecret::generate(), WebhookSecret::generate());
        let both = signature_header(&[&one, &two], "id", 1, b"{}");
        let parts: Vec<&str> = both.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], signature_header(&[&one], "id", 1, b"{}"));
        assert_ne!(parts[0], signature_header(&[&one], "id", 1, b"{ }"));
        assert_ne!(parts[0], signature_header(&[&one], "id", 2, b"{}"));
    }
}
