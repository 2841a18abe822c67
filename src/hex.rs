//! Lower-case hex, for digests (MD5 and SHA-256 values travel as hex strings in SQS). Written out
//! because `format!("{:x}")` showed in the send/receive profile.

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `bytes` as lower-case hex.
pub fn lower_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0xf) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn matches_format() {
        let bytes = [0x00, 0x0f, 0xa5, 0xff];
        assert_eq!(super::lower_hex(&bytes), "000fa5ff");
    }
}
