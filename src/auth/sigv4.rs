//! AWS Signature Version 4: reading a request's signature and computing the one it should carry.
//!
//! The algorithm is AWS's ("Create a signed AWS API request",
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html>):
//! a canonical request (method, URI, query, signed headers, payload hash), a string to sign over
//! its SHA-256, and an HMAC-SHA256 chain from the secret over date, region, service and
//! `aws4_request`. The URI is encoded a second time, as every AWS SDK does for services other
//! than S3. Everything here is pure: no clock, no credentials store (see [`super`]).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::hex::lower_hex;

/// The only algorithm SigV4 has.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The payload hash a signer may send instead of the body's hash (presigned URLs).
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// The credential scope: `<access key>/<yyyymmdd>/<region>/<service>/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub access_key: String,
    pub date: String,
    pub region: String,
    pub service: String,
}

impl Scope {
    /// Parses `Credential=`'s value; `None` unless it has the five parts, the last `aws4_request`.
    pub fn parse(credential: &str) -> Option<Scope> {
        // The access key itself may not contain '/', so split from the right.
        let mut parts = credential.rsplitn(5, '/');
        let terminator = parts.next()?;
        let service = parts.next()?;
        let region = parts.next()?;
        let date = parts.next()?;
        let access_key = parts.next()?;
        (terminator == "aws4_request" && !access_key.is_empty()).then(|| Scope {
            access_key: access_key.to_string(),
            date: date.to_string(),
            region: region.to_string(),
            service: service.to_string(),
        })
    }

    /// `<yyyymmdd>/<region>/<service>/aws4_request`, as in the string to sign.
    pub fn without_key(&self) -> String {
        format!("{}/{}/{}/aws4_request", self.date, self.region, self.service)
    }
}

/// Where a request carries its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The `Authorization` header.
    Header,
    /// The query string (a presigned URL): `X-Amz-Signature` and its companions.
    Query,
}

/// A request's signature as the signer stated it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub placement: Placement,
    /// `Credential=`, unparsed.
    pub credential: String,
    /// Lower-case header names, in the order given.
    pub signed_headers: Vec<String>,
    pub signature: String,
    /// `X-Amz-Date` (`yyyymmddThhmmssZ`).
    pub date: Option<String>,
    /// `X-Amz-Expires` of a presigned URL (seconds), unparsed.
    pub expires: Option<String>,
}

/// What is wrong with the form of a signature (before any secret is involved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    /// An `Authorization` header that is not SigV4 (another scheme, or SigV2).
    UnsupportedAlgorithm(String),
    /// Parameters the header or query lacks, by their names (`Credential`, `Signature`,
    /// `SignedHeaders`, `X-Amz-Date`...).
    Missing(Vec<&'static str>),
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`
/// header. `Ok(None)` is never returned: a present header is either SigV4 or an error.
pub fn parse_authorization(header: &str) -> Result<Signature, FormError> {
    let header = header.trim();
    let (algorithm, rest) = header.split_once(' ').unwrap_or((header, ""));
    if algorithm != ALGORITHM {
        return Err(FormError::UnsupportedAlgorithm(algorithm.to_string()));
    }
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let Some((key, value)) = part.trim().split_once('=') else { continue };
        match key.trim() {
            "Credential" => credential = Some(value.trim().to_string()),
            "SignedHeaders" => signed_headers = Some(value.trim().to_string()),
            "Signature" => signature = Some(value.trim().to_string()),
            _ => {}
        }
    }
    missing(&[
        ("Credential", credential.is_none()),
        ("Signature", signature.is_none()),
        ("SignedHeaders", signed_headers.is_none()),
    ])?;
    Ok(Signature {
        placement: Placement::Header,
        credential: credential.unwrap_or_default(),
        signed_headers: split_signed_headers(&signed_headers.unwrap_or_default()),
        signature: signature.unwrap_or_default(),
        date: None,
        expires: None,
    })
}

/// The signature of a presigned URL, from its decoded query parameters; `None` when the query has
/// no `X-Amz-Signature`, `X-Amz-Credential` or `X-Amz-Algorithm` (an unsigned request).
pub fn parse_presigned(params: &[(String, String)]) -> Option<Result<Signature, FormError>> {
    let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let algorithm = get("X-Amz-Algorithm");
    let credential = get("X-Amz-Credential");
    let signature = get("X-Amz-Signature");
    if algorithm.is_none() && credential.is_none() && signature.is_none() {
        return None;
    }
    if let Some(algorithm) = algorithm.as_deref().filter(|a| *a != ALGORITHM) {
        return Some(Err(FormError::UnsupportedAlgorithm(algorithm.to_string())));
    }
    let signed_headers = get("X-Amz-SignedHeaders");
    let date = get("X-Amz-Date");
    if let Err(error) = missing(&[
        ("X-Amz-Algorithm", algorithm.is_none()),
        ("X-Amz-Credential", credential.is_none()),
        ("X-Amz-Signature", signature.is_none()),
        ("X-Amz-SignedHeaders", signed_headers.is_none()),
        ("X-Amz-Date", date.is_none()),
    ]) {
        return Some(Err(error));
    }
    Some(Ok(Signature {
        placement: Placement::Query,
        credential: credential.unwrap_or_default(),
        signed_headers: split_signed_headers(&signed_headers.unwrap_or_default()),
        signature: signature.unwrap_or_default(),
        date,
        expires: get("X-Amz-Expires"),
    }))
}

/// `Missing` naming each parameter marked absent, or Ok when none is.
fn missing(parameters: &[(&'static str, bool)]) -> Result<(), FormError> {
    let names: Vec<&'static str> = parameters.iter().filter(|(_, absent)| *absent).map(|(name, _)| *name).collect();
    if names.is_empty() {
        Ok(())
    } else {
        Err(FormError::Missing(names))
    }
}

fn split_signed_headers(list: &str) -> Vec<String> {
    list.split(';').filter(|h| !h.is_empty()).map(|h| h.to_ascii_lowercase()).collect()
}

/// What the canonical request is built from.
pub struct RequestParts<'a> {
    pub method: &'a str,
    /// The path as sent (still percent-encoded).
    pub path: &'a str,
    /// The decoded query parameters, in the order sent.
    pub query: &'a [(String, String)],
    /// Every value of a header (by lower-case name), in order; none for a header it lacks.
    pub header: &'a dyn Fn(&str) -> Vec<String>,
    /// Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
    pub payload_hash: &'a str,
}

/// The canonical request of `parts` over `signed_headers` (lower-case). A presigned URL's own
/// `X-Amz-Signature` is not part of what it signs.
pub fn canonical_request(parts: &RequestParts<'_>, placement: Placement, signed_headers: &[String]) -> String {
    let mut query: Vec<(String, String)> = parts
        .query
        .iter()
        .filter(|(k, _)| !(placement == Placement::Query && k == "X-Amz-Signature"))
        .map(|(k, v)| (uri_encode(k, true), uri_encode(v, true)))
        .collect();
    query.sort();
    let query = query.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    let mut headers = String::new();
    for name in signed_headers {
        let values = (parts.header)(name);
        let joined = values.iter().map(|v| collapse_spaces(v)).collect::<Vec<_>>().join(",");
        headers.push_str(name);
        headers.push(':');
        headers.push_str(&joined);
        headers.push('\n');
    }
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        parts.method,
        canonical_uri(parts.path),
        query,
        headers,
        signed_headers.join(";"),
        parts.payload_hash
    )
}

/// The string to sign for a canonical request.
pub fn string_to_sign(date: &str, scope: &Scope, canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{date}\n{}\n{}", scope.without_key(), sha256_hex(canonical_request.as_bytes()))
}

/// The hex signature of `string_to_sign` by `secret` under `scope`.
pub fn sign(secret: &str, scope: &Scope, string_to_sign: &str) -> String {
    sign_with_key(&signing_key(secret, scope), string_to_sign)
}

/// The key derived from `secret` for `scope`'s date, region and service (the same for every
/// request of that scope, so verifiers may keep it).
pub fn signing_key(secret: &str, scope: &Scope) -> Vec<u8> {
    let key = hmac(format!("AWS4{secret}").as_bytes(), scope.date.as_bytes());
    let key = hmac(&key, scope.region.as_bytes());
    let key = hmac(&key, scope.service.as_bytes());
    hmac(&key, b"aws4_request")
}

/// The hex signature of `string_to_sign` with a derived [`signing_key`].
pub fn sign_with_key(signing_key: &[u8], string_to_sign: &str) -> String {
    lower_hex(&hmac(signing_key, string_to_sign.as_bytes()))
}

/// What a client needs to sign a request.
pub struct SigningKey<'a> {
    pub access_key: &'a str,
    pub secret: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    /// `X-Amz-Date` (`yyyymmddThhmmssZ`).
    pub date: &'a str,
}

/// The `Authorization` header value that signs a request with a body, a path without a query and
/// `headers` (lower-case names; `host` and `x-amz-date` among them), every one of them signed.
/// Clients of sqs-local's own (sqs-bench, tests) sign with it.
pub fn authorization(key: &SigningKey<'_>, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> String {
    let mut names: Vec<String> = headers.iter().map(|(k, _)| k.to_string()).collect();
    names.sort();
    names.dedup();
    let header = |name: &str| headers.iter().filter(|(k, _)| *k == name).map(|(_, v)| v.to_string()).collect();
    let parts = RequestParts { method, path, query: &[], header: &header, payload_hash: &sha256_hex(body) };
    let canonical = canonical_request(&parts, Placement::Header, &names);
    let scope = Scope {
        access_key: key.access_key.to_string(),
        date: key.date.get(..8).unwrap_or("").to_string(),
        region: key.region.to_string(),
        service: key.service.to_string(),
    };
    let signed = sign(key.secret, &scope, &string_to_sign(key.date, &scope, &canonical));
    format!(
        "{ALGORITHM} Credential={}/{}, SignedHeaders={}, Signature={signed}",
        key.access_key,
        scope.without_key(),
        names.join(";")
    )
}

/// Whether two secrets (signatures, tokens) are equal, in time independent of where they differ.
pub fn constant_time_eq(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    lower_hex(&Sha256::digest(bytes))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key"));
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The canonical URI: the path with `.` and `..` segments removed, then percent-encoded again
/// (the path as sent is already encoded once; AWS's SDKs double-encode for every service but S3).
fn canonical_uri(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut normalized = segments.join("/");
    if !normalized.starts_with('/') {
        normalized.insert(0, '/');
    }
    if path.ends_with('/') && !normalized.ends_with('/') {
        normalized.push('/');
    }
    uri_encode(&normalized, false)
}

/// SigV4's URI encoding: every byte but `A-Za-z0-9-_.~` as `%XY` (upper-case hex), and `/` too
/// unless `encode_slash` is false.
pub fn uri_encode(input: &str, encode_slash: bool) -> String {
    const UPPER: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(input.len());
    for &b in input.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b'/' if !encode_slash => out.push('/'),
            _ => {
                out.push('%');
                out.push(UPPER[(b >> 4) as usize] as char);
                out.push(UPPER[(b & 0xf) as usize] as char);
            }
        }
    }
    out
}

/// A header value with leading and trailing spaces removed and runs of spaces made one.
fn collapse_spaces(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for word in value.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's own worked example ("Examples of how to derive a signing key for Signature Version 4"
    /// and the IAM user guide's GET example): the signing key chain and signature for
    /// `GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08`.
    #[test]
    fn matches_aws_documented_example() {
        let scope = Scope::parse("AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request").expect("a scope");
        let query =
            vec![("Action".to_string(), "ListUsers".to_string()), ("Version".to_string(), "2010-05-08".to_string())];
        let header = |name: &str| match name {
            "content-type" => vec!["application/x-www-form-urlencoded; charset=utf-8".to_string()],
            "host" => vec!["iam.amazonaws.com".to_string()],
            "x-amz-date" => vec!["20150830T123600Z".to_string()],
            _ => vec![],
        };
        let signed_headers = ["content-type".to_string(), "host".into(), "x-amz-date".into()];
        let parts =
            RequestParts { method: "GET", path: "/", query: &query, header: &header, payload_hash: &sha256_hex(b"") };
        let canonical = canonical_request(&parts, Placement::Header, &signed_headers);
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59",
            "the documented canonical request hash"
        );
        let to_sign = string_to_sign("20150830T123600Z", &scope, &canonical);
        assert_eq!(
            sign("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", &scope, &to_sign),
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }

    #[test]
    fn reads_the_authorization_header() {
        let parsed = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
        )
        .expect("a signature");
        assert_eq!(parsed.credential, "AK/20260101/us-east-1/sqs/aws4_request");
        assert_eq!(parsed.signed_headers, vec!["host", "x-amz-date"]);
        assert_eq!(parsed.signature, "abc");
        assert_eq!(
            parse_authorization("AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/sqs/aws4_request"),
            Err(FormError::Missing(vec!["Signature", "SignedHeaders"]))
        );
        assert_eq!(parse_authorization("AWS AK:sig"), Err(FormError::UnsupportedAlgorithm("AWS".into())));
    }

    #[test]
    fn scopes_split_from_the_right() {
        let scope = Scope::parse("AK/20260101/eu-west-1/sqs/aws4_request").expect("a scope");
        assert_eq!(
            (scope.access_key.as_str(), scope.region.as_str(), scope.service.as_str()),
            ("AK", "eu-west-1", "sqs")
        );
        assert_eq!(Scope::parse("AK/20260101/eu-west-1/sqs"), None);
        assert_eq!(Scope::parse("/20260101/eu-west-1/sqs/aws4_request"), None);
    }

    #[test]
    fn uris_are_normalized_and_encoded_twice() {
        assert_eq!(canonical_uri("/000000000000/q1"), "/000000000000/q1");
        assert_eq!(canonical_uri("/a/./b/../c"), "/a/c");
        assert_eq!(canonical_uri("/q%20x"), "/q%2520x");
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(uri_encode("a b/c*", true), "a%20b%2Fc%2A");
    }
}
