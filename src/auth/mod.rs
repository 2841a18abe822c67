//! Who is calling: SigV4 verification against configured credentials, and the caller's account
//! and region.
//!
//! # The rule
//! - **No credentials configured** (the default): nothing is verified. The caller's region is the
//!   region its signature is scoped to (any well-formed name), else the default region; its
//!   account is the access key when that is 12 digits (LocalStack's convention), else the default
//!   account.
//! - **Credentials configured** (`--credential KEY:SECRET[:ACCOUNT]`): every AWS request must
//!   carry a valid SigV4 signature by one of them, in the `Authorization` header or in the query
//!   string (a presigned URL), dated within 15 minutes of now, scoped to the service called and to
//!   a well-formed region. The caller is that credential's account (the default account when the
//!   credential names none), in the scope's region. Queue policies then hold (`sqs::api::access`).
//!
//! Dates are checked against the wall clock, not the emulator's movable clock: signers sign with
//! the real time, and a test that advances the emulator's clock must still be able to call it.
//! Each error's code and words say where they came from, beside the code that answers it.

pub mod sigv4;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use hyper::header::AUTHORIZATION;
use hyper::http::request::Parts;

use self::sigv4::{FormError, Placement, RequestParts, Scope, Signature};
use crate::engine::error::{ErrorCode, SqsError};
use crate::engine::Namespace;
use crate::sqs::protocol::query;

/// Largest clock difference a signature may have from now (AWS: "15 min." in its messages).
const ALLOWED_SKEW_SECONDS: i64 = 15 * 60;
/// Longest `X-Amz-Expires` of a presigned URL (seven days, AWS's limit for SigV4 presigning).
const MAX_EXPIRES_SECONDS: i64 = 7 * 24 * 3600;

/// One configured credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key: String,
    pub secret: String,
    /// The account the credential belongs to; `None` for the default account.
    pub account: Option<String>,
}

impl Credential {
    /// `ACCESS_KEY:SECRET[:ACCOUNT_ID]`, the form of `--credential` and `SQS_LOCAL_CREDENTIALS`.
    pub fn parse(text: &str) -> Result<Credential, String> {
        let parts: Vec<&str> = text.trim().split(':').collect();
        let (access_key, secret, account) = match parts.as_slice() {
            [key, secret] => (*key, *secret, None),
            [key, secret, account] => (*key, *secret, Some(*account)),
            _ => return Err(format!("credential {text:?} is not ACCESS_KEY:SECRET[:ACCOUNT_ID]")),
        };
        if access_key.is_empty() || secret.is_empty() {
            return Err(format!("credential {text:?} has an empty access key or secret"));
        }
        if access_key.contains('/') {
            return Err(format!("credential {text:?}: an access key cannot contain '/'"));
        }
        if let Some(account) = account.filter(|a| !is_account_id(a)) {
            return Err(format!("credential {text:?}: account id {account:?} is not 12 digits"));
        }
        Ok(Credential {
            access_key: access_key.to_string(),
            secret: secret.to_string(),
            account: account.map(str::to_string),
        })
    }
}

/// An AWS account id: 12 digits.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// A region name as AWS spells them (`us-east-1`, `us-gov-west-1`, `eu-central-2`...): lower-case
/// words joined by `-`, the last a number. The check behind "Credential should be scoped to a
/// valid region".
pub fn is_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() >= 3
        && parts.last().is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        && parts[..parts.len() - 1].iter().all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
}

/// The configured credentials, by access key. Empty: verification is off.
#[derive(Debug, Default)]
pub struct Credentials {
    by_key: HashMap<String, Credential>,
    /// Derived signing keys by access key and scope: four HMACs saved on every request of a scope
    /// already seen (a scope changes once a day).
    signing_keys: Mutex<HashMap<KeyScope, Arc<[u8]>>>,
}

/// An access key and a scope without it (`<date>/<region>/<service>/aws4_request`).
type KeyScope = (String, String);

/// Most derived keys kept; beyond it the cache starts again.
const MAX_CACHED_KEYS: usize = 1024;

impl Credentials {
    pub fn new(list: impl IntoIterator<Item = Credential>) -> Self {
        Credentials { by_key: list.into_iter().map(|c| (c.access_key.clone(), c)).collect(), ..Default::default() }
    }

    /// Whether requests are verified.
    pub fn enabled(&self) -> bool {
        !self.by_key.is_empty()
    }

    /// The signing key of `credential` for `scope`, derived once per scope.
    fn signing_key(&self, credential: &Credential, scope: &Scope) -> Arc<[u8]> {
        let id = (credential.access_key.clone(), scope.without_key());
        let mut cache = self.signing_keys.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(key) = cache.get(&id) {
            return key.clone();
        }
        if cache.len() >= MAX_CACHED_KEYS {
            cache.clear();
        }
        let key: Arc<[u8]> = sigv4::signing_key(&credential.secret, scope).into();
        cache.insert(id, key.clone());
        key
    }
}

/// The caller of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// Its account and region: where the queues it names by name live.
    pub namespace: Namespace,
    /// Whether its signature was verified (and so queue policies apply to it).
    pub verified: bool,
}

/// A request's bytes, as verification needs them.
pub struct SignedRequest<'a> {
    pub parts: &'a Parts,
    pub body: &'a [u8],
}

/// Who is calling, verified when credentials are configured. `service` is the signing name of
/// the service called (`sqs`); `now` the wall clock in epoch seconds. A request bearing the
/// admin token (the console's) calls as the owner of the default account.
pub fn authenticate(
    credentials: &Credentials,
    admin_token: Option<&str>,
    default: Namespace,
    service: &str,
    request: &SignedRequest<'_>,
    now: i64,
) -> Result<Caller, SqsError> {
    if let (Some(token), Some(given)) = (admin_token.filter(|_| credentials.enabled()), bearer_token(request.parts)) {
        return match sigv4::constant_time_eq(token, given) {
            true => Ok(Caller { namespace: default, verified: true }),
            false => Err(invalid_token()),
        };
    }
    let signature = match find_signature(request.parts) {
        Some(Ok(signature)) => Some(signature),
        Some(Err(form)) if credentials.enabled() => return Err(form_error(form)),
        Some(Err(_)) | None => None,
    };
    if !credentials.enabled() {
        return Ok(unverified_caller(default, signature.as_ref()));
    }
    let signature = signature.ok_or_else(missing_token)?;
    verify(credentials, default, service, request, &signature, now)
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    parts.headers.get(AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

/// The caller of an unverified request (see the module docs' rule).
fn unverified_caller(default: Namespace, signature: Option<&Signature>) -> Caller {
    let scope = signature.and_then(|s| Scope::parse(&s.credential));
    let region = scope.as_ref().map(|s| s.region.as_str()).filter(|r| is_region_like(r));
    let account = scope.as_ref().map(|s| s.access_key.as_str()).filter(|k| is_account_id(k));
    let namespace = Namespace::parse(account.unwrap_or(&default.account), region.unwrap_or(&default.region));
    Caller { namespace: namespace.unwrap_or(default), verified: false }
}

/// Whether an unverified scope's region can name a namespace: `[a-z0-9-]`, not empty. (Local
/// setups sign for made-up regions such as `elasticmq`; without verification they are honoured.)
fn is_region_like(region: &str) -> bool {
    !region.is_empty() && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The signature a request carries: the `Authorization` header's, else the query string's.
fn find_signature(parts: &Parts) -> Option<Result<Signature, FormError>> {
    if let Some(header) = parts.headers.get(AUTHORIZATION) {
        let text = header.to_str().unwrap_or("");
        return Some(sigv4::parse_authorization(text));
    }
    let params = query::parse_form(parts.uri.query()?.as_bytes()).ok()?;
    sigv4::parse_presigned(&params)
}

fn verify(
    credentials: &Credentials,
    default: Namespace,
    service: &str,
    request: &SignedRequest<'_>,
    signature: &Signature,
    now: i64,
) -> Result<Caller, SqsError> {
    let scope = Scope::parse(&signature.credential).ok_or_else(|| malformed_credential(&signature.credential))?;
    let credential = credentials.by_key.get(&scope.access_key).ok_or_else(invalid_token)?;
    if !is_region(&scope.region) {
        return Err(does_not_match("Credential should be scoped to a valid region. "));
    }
    if scope.service != service {
        return Err(does_not_match(format!("Credential should be scoped to correct service: '{service}'. ")));
    }
    let date = request_date(request.parts, signature)?;
    let signed_at = parse_amz_date(&date).ok_or_else(|| invalid_date(&date))?;
    if scope.date != date[..8] {
        return Err(does_not_match(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{date}'.",
            scope.date,
            &date[..8]
        )));
    }
    check_time(signature, signed_at, now)?;
    if !signature.signed_headers.iter().any(|h| h == "host") {
        return Err(SqsError::new(
            ErrorCode::IncompleteSignature,
            "'Host' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    let key = credentials.signing_key(credential, &scope);
    let expected = expected_signature(request, signature, &scope, &key, &date)?;
    if !sigv4::constant_time_eq(&expected, &signature.signature) {
        return Err(does_not_match(SIGNATURE_DOES_NOT_MATCH));
    }
    let account = credential.account.as_deref().unwrap_or(&default.account);
    let namespace = Namespace::parse(account, &scope.region)
        .ok_or_else(|| does_not_match("Credential should be scoped to a valid region. "))?;
    Ok(Caller { namespace, verified: true })
}

/// `X-Amz-Date` from the header (header signatures) or the query (presigned URLs).
fn request_date(parts: &Parts, signature: &Signature) -> Result<String, SqsError> {
    let date = match signature.placement {
        Placement::Query => signature.date.clone(),
        Placement::Header => parts.headers.get("x-amz-date").and_then(|v| v.to_str().ok()).map(str::to_string),
    };
    // AWS's IncompleteSignature text for a header signature without a date (the message botocore
    // users report for unsigned-date requests).
    date.ok_or_else(|| {
        SqsError::new(
            ErrorCode::IncompleteSignature,
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        )
    })
}

/// Within 15 minutes of now (header signatures), or before its expiry (presigned URLs).
fn check_time(signature: &Signature, signed_at: i64, now: i64) -> Result<(), SqsError> {
    if signed_at > now + ALLOWED_SKEW_SECONDS {
        // AWS's words for a date in the future: "Signature not yet current: <date> is still later
        // than <limit> (<now> + 15 min.)", SignatureDoesNotMatch (the counterpart of the expired text).
        return Err(does_not_match(format!(
            "Signature not yet current: {} is still later than {} ({} + 15 min.)",
            format_amz_date(signed_at),
            format_amz_date(now + ALLOWED_SKEW_SECONDS),
            format_amz_date(now)
        )));
    }
    match signature.placement {
        Placement::Header if signed_at < now - ALLOWED_SKEW_SECONDS => {
            // SQS's answer to a stale header signature, as recorded in aws-sdk-php#642 and
            // aws-sdk-go#487: 403 SignatureDoesNotMatch, "Signature expired: ...".
            Err(does_not_match(format!(
                "Signature expired: {} is now earlier than {} ({} - 15 min.)",
                format_amz_date(signed_at),
                format_amz_date(now - ALLOWED_SKEW_SECONDS),
                format_amz_date(now)
            )))
        }
        Placement::Header => Ok(()),
        Placement::Query => {
            let expires = signature.expires.as_deref().unwrap_or("");
            let seconds: i64 = expires.parse().map_err(|_| {
                SqsError::new(ErrorCode::IncompleteSignature, format!("X-Amz-Expires must be a number: '{expires}'"))
            })?;
            if !(1..=MAX_EXPIRES_SECONDS).contains(&seconds) {
                return Err(SqsError::new(
                    ErrorCode::IncompleteSignature,
                    format!("X-Amz-Expires must be between 1 and {MAX_EXPIRES_SECONDS} seconds"),
                ));
            }
            // CommonErrors' RequestExpired: "more than 15 minutes after the request expiration
            // date (such as for pre-signed URLs)" - read here as: after its expiry. The exact
            // message for SQS is unverified (README, deviations).
            if now > signed_at + seconds {
                return Err(SqsError::new(ErrorCode::RequestExpired, "Request has expired."));
            }
            Ok(())
        }
    }
}

/// The signature the request should carry if signed with `secret`.
fn expected_signature(
    request: &SignedRequest<'_>,
    signature: &Signature,
    scope: &Scope,
    signing_key: &[u8],
    date: &str,
) -> Result<String, SqsError> {
    let parts = request.parts;
    let query = match parts.uri.query() {
        Some(q) => query::parse_form(q.as_bytes())?,
        None => Vec::new(),
    };
    let body_hash = sigv4::sha256_hex(request.body);
    // A signer may state the payload hash in X-Amz-Content-SHA256; it is what was signed, and it
    // must be the body's (or UNSIGNED-PAYLOAD).
    let stated = parts.headers.get("x-amz-content-sha256").and_then(|v| v.to_str().ok());
    let payload_hash = match stated {
        Some(sigv4::UNSIGNED_PAYLOAD) => sigv4::UNSIGNED_PAYLOAD.to_string(),
        Some(hash) if hash.eq_ignore_ascii_case(&body_hash) => hash.to_string(),
        Some(_) => return Err(does_not_match(SIGNATURE_DOES_NOT_MATCH)),
        None => body_hash,
    };
    let header = |name: &str| -> Vec<String> {
        parts.headers.get_all(name).iter().map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()).collect()
    };
    let canonical = sigv4::canonical_request(
        &RequestParts {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: &query,
            header: &header,
            payload_hash: &payload_hash,
        },
        signature.placement,
        &signature.signed_headers,
    );
    Ok(sigv4::sign_with_key(signing_key, &sigv4::string_to_sign(date, scope, &canonical)))
}

/// `yyyymmddThhmmssZ` as epoch seconds.
fn parse_amz_date(text: &str) -> Option<i64> {
    chrono::NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%SZ").ok().map(|t| t.and_utc().timestamp())
}

fn format_amz_date(epoch_seconds: i64) -> String {
    chrono::DateTime::from_timestamp(epoch_seconds, 0)
        .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_default()
}

/// AWS's SignatureDoesNotMatch text for a wrong signature (the message every SDK user sees for a
/// wrong secret).
const SIGNATURE_DOES_NOT_MATCH: &str =
    "The request signature we calculated does not match the signature you provided. \
     Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

fn does_not_match(message: impl Into<std::borrow::Cow<'static, str>>) -> SqsError {
    SqsError::new(ErrorCode::SignatureDoesNotMatch, message)
}

/// InvalidClientTokenId (CommonErrors: 403), in the words AWS answers an unknown access key with.
fn invalid_token() -> SqsError {
    SqsError::new(ErrorCode::InvalidClientTokenId, "The security token included in the request is invalid.")
}

/// MissingAuthenticationToken (CommonErrors: 403, and its description as the message).
fn missing_token() -> SqsError {
    SqsError::new(
        ErrorCode::MissingAuthenticationToken,
        "The request must contain either a valid (registered) AWS access key ID or X.509 certificate.",
    )
}

fn malformed_credential(credential: &str) -> SqsError {
    SqsError::new(
        ErrorCode::IncompleteSignature,
        format!("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"),
    )
}

fn invalid_date(date: &str) -> SqsError {
    SqsError::new(
        ErrorCode::IncompleteSignature,
        format!("Date must be in ISO-8601 'basic format'. Got '{date}'. See http://en.wikipedia.org/wiki/ISO_8601"),
    )
}

/// IncompleteSignature (CommonErrors: "The request signature does not conform to AWS
/// standards."), naming what is missing as AWS's front end does.
fn form_error(error: FormError) -> SqsError {
    let message = match error {
        FormError::UnsupportedAlgorithm(algorithm) => {
            format!("Unsupported AWS 'algorithm': '{algorithm}'. Only AWS4-HMAC-SHA256 is supported.")
        }
        FormError::Missing(names) => names
            .iter()
            .map(|n| format!("Authorization header requires '{n}' parameter."))
            .collect::<Vec<_>>()
            .join(" "),
    };
    SqsError::new(ErrorCode::IncompleteSignature, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_parse_with_and_without_account() {
        assert_eq!(
            Credential::parse("AK:SECRET:123456789012"),
            Ok(Credential { access_key: "AK".into(), secret: "SECRET".into(), account: Some("123456789012".into()) })
        );
        assert_eq!(Credential::parse("AK:SECRET").map(|c| c.account), Ok(None));
        assert!(Credential::parse("AK").is_err());
        assert!(Credential::parse("AK:SECRET:12").is_err());
        assert!(Credential::parse(":SECRET").is_err());
        assert!(Credential::parse("A/K:SECRET").is_err());
    }

    #[test]
    fn regions_look_like_aws_regions() {
        for ok in ["us-east-1", "eu-central-2", "us-gov-west-1", "ap-southeast-5"] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in ["", "us-east", "elasticmq", "US-EAST-1", "us--1", "us-east-x"] {
            assert!(!is_region(bad), "{bad}");
        }
    }

    #[test]
    fn unverified_callers_take_region_from_the_scope_and_account_from_a_numeric_key() {
        let default = Namespace::new("000000000000", "us-east-1");
        let signed = |credential: &str| Signature {
            placement: Placement::Header,
            credential: credential.to_string(),
            signed_headers: vec![],
            signature: String::new(),
            date: None,
            expires: None,
        };
        let caller = unverified_caller(default, Some(&signed("123456789012/20260101/eu-west-1/sqs/aws4_request")));
        assert_eq!(caller.namespace, Namespace::new("123456789012", "eu-west-1"));
        let caller = unverified_caller(default, Some(&signed("test/20260101/elasticmq/sqs/aws4_request")));
        assert_eq!(caller.namespace, Namespace::new("000000000000", "elasticmq"));
        assert_eq!(unverified_caller(default, None).namespace, default);
    }

    #[test]
    fn amz_dates_round_trip() {
        let t = parse_amz_date("20260101T000000Z").expect("a date");
        assert_eq!(format_amz_date(t), "20260101T000000Z");
        assert_eq!(parse_amz_date("2026-01-01"), None);
    }
}
