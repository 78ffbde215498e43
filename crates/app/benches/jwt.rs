//! Criterion benchmarks of one JWT signature check, what a token costs the first time an
//! instance sees it (after that it is remembered until it expires, see
//! `credential/jwt.rs`): `jsonwebtoken::decode` with the algorithm pinned, for each
//! algorithm a registration may name, keys generated here. Figures are recorded in
//! `docs/benchmarks.md`; `cargo bench -p rollcall-app --bench jwt`.

#![allow(clippy::expect_used, clippy::unwrap_used)] // fixed, known-good inputs

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value, json};

fn random32() -> [u8; 32] {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).unwrap();
    bytes
}

/// An encoding key and the matching decoding key for `algorithm`.
fn keys(algorithm: Algorithm) -> (EncodingKey, DecodingKey) {
    match algorithm {
        Algorithm::HS256 => {
            let secret = random32();
            (
                EncodingKey::from_secret(&secret).unwrap(),
                DecodingKey::from_secret(&secret).unwrap(),
            )
        }
        Algorithm::RS256 => {
            use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
            let key = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048).unwrap();
            let private = key.to_pkcs8_pem(LineEnding::LF).unwrap();
            let public = key
                .to_public_key()
                .to_public_key_pem(LineEnding::LF)
                .unwrap();
            (
                EncodingKey::from_rsa_pem(private.as_bytes()).unwrap(),
                DecodingKey::from_rsa_pem(public.as_bytes()).unwrap(),
            )
        }
        Algorithm::ES256 => {
            use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
            let key = p256::SecretKey::from_slice(&random32()).unwrap();
            let private = key.to_pkcs8_pem(LineEnding::LF).unwrap();
            let public = key.public_key().to_public_key_pem(LineEnding::LF).unwrap();
            (
                EncodingKey::from_ec_pem(private.as_bytes()).unwrap(),
                DecodingKey::from_ec_pem(public.as_bytes()).unwrap(),
            )
        }
        _ => {
            use ed25519_dalek::pkcs8::{
                EncodePrivateKey, EncodePublicKey, spki::der::pem::LineEnding,
            };
            let key = ed25519_dalek::SigningKey::from_bytes(&random32());
            let private = key.to_pkcs8_pem(LineEnding::LF).unwrap();
            let public = key
                .verifying_key()
                .to_public_key_pem(LineEnding::LF)
                .unwrap();
            (
                EncodingKey::from_ed_pem(private.as_bytes()).unwrap(),
                DecodingKey::from_ed_pem(public.as_bytes()).unwrap(),
            )
        }
    }
}

fn verify(c: &mut Criterion) {
    // Entra's shape: issuer, audience, tenant and app claims.
    let claims = json!({
        "iss": "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/",
        "aud": "8adf8e6e-67b2-4cf2-a259-e3dc5476c621",
        "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "appid": "4ab3f0a2-1d2e-4f7b-9a51-7c3e2d1f0b9a",
        "oid": "0c2f6b9e-7a1d-4e3f-8b2c-5d6e7f8a9b0c",
        "iat": 1_800_000_000,
        "nbf": 1_800_000_000,
        "exp": 1_800_003_600,
    });
    let mut group = c.benchmark_group("jwt_verify");
    for algorithm in [
        Algorithm::HS256,
        Algorithm::RS256,
        Algorithm::ES256,
        Algorithm::EdDSA,
    ] {
        let (encoding, decoding) = keys(algorithm);
        let token = jsonwebtoken::encode(&Header::new(algorithm), &claims, &encoding).unwrap();
        let mut validation = Validation::new(algorithm);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.required_spec_claims.clear();
        validation.set_issuer(&["https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/"]);
        validation.set_audience(&["8adf8e6e-67b2-4cf2-a259-e3dc5476c621"]);
        group.bench_function(format!("{algorithm:?}"), |b| {
            b.iter(|| {
                jsonwebtoken::decode::<Map<String, Value>>(
                    black_box(&token),
                    &decoding,
                    &validation,
                )
                .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
