//! SNS filter policies: the first line of the input is a policy, the rest a message body (also
//! read as String attributes `a`..`e` split by `|`); compiling gives a policy or AWS's reason,
//! matching gives yes or no, in both scopes, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sqs_local::sns::filter::{compile, Facts, Scope};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (policy, body) = text.split_once('\n').unwrap_or((&text, ""));
    let values: Vec<&str> = body.split('|').collect();
    let names = ["a", "b", "c", "d", "e"];
    let types = ["String", "Number", "String.Array", "Binary", "String.x"];
    let attributes = Facts::from_attributes(
        names.iter().zip(types).zip(values.iter()).map(|((name, data_type), value)| (*name, data_type, *value)),
    );
    let parsed_body = Facts::from_body(body);
    for scope in [Scope::MessageAttributes, Scope::MessageBody] {
        if let Ok(compiled) = compile(policy, scope) {
            let _ = compiled.matches(&attributes);
            let _ = compiled.matches(&parsed_body);
        }
    }
});
