//! Reading the ARNs SNS requests name, with AWS's errors for malformed ones (recorded:
//! test_publish_wrong_arn_format, test_unsubscribe_wrong_arn_format, test_cross_region_access).

use super::error::{SnsError, SnsResult};
use crate::engine::topic::TopicId;
use crate::engine::Namespace;

/// The six parts of `arn:<partition>:<service>:<region>:<account>:<resource>`, or AWS's
/// "An ARN must have at least 6 elements, not N".
fn parts<'a>(parameter: &str, arn: &'a str) -> SnsResult<Vec<&'a str>> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() < 6 {
        let count = if arn.is_empty() { 1 } else { parts.len() };
        return Err(SnsError::invalid_because(parameter, format!("An ARN must have at least 6 elements, not {count}")));
    }
    Ok(parts)
}

/// The topic a `TopicArn` (or `TargetArn`, `ResourceArn`) names. SNS answers only for the
/// region it is called in: another region's ARN is "Invalid parameter: TopicArn".
pub fn topic(parameter: &str, arn: &str, caller: &Namespace) -> SnsResult<TopicId> {
    let parts = parts(parameter, arn)?;
    let (service, region, account, name) = (parts[2], parts[3], parts[4], parts[5]);
    if parts[0] != "arn" || service != "sns" || name.is_empty() || name.contains(':') || region != &*caller.region {
        return Err(SnsError::invalid(parameter));
    }
    let namespace =
        caller.with_account(account).filter(|_| !account.is_empty()).ok_or_else(|| SnsError::invalid(parameter))?;
    Ok(TopicId::new(namespace, name))
}

/// Checks a `SubscriptionArn`: a topic ARN, `:` and the subscription id.
pub fn subscription<'a>(arn: Option<&'a str>, caller: &Namespace) -> SnsResult<&'a str> {
    const PARAMETER: &str = "SubscriptionArn";
    let arn = arn.ok_or_else(|| SnsError::invalid_because(PARAMETER, "no value for required parameter"))?;
    let parts = parts(PARAMETER, arn)?;
    let Some((topic, id)) = parts[5].split_once(':') else { return Err(SnsError::invalid("SubscriptionId")) };
    if parts[0] != "arn" || parts[2] != "sns" || parts[3] != &*caller.region || topic.is_empty() || id.is_empty() {
        return Err(SnsError::invalid(PARAMETER));
    }
    Ok(arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_and_foreign_arns_get_aws_words() {
        let ns = Namespace::new("000000000000", "us-east-1");
        let err = |r: SnsResult<TopicId>| r.unwrap_err().message.to_string();
        assert_eq!(
            err(topic("TopicArn", "randomstring", &ns)),
            "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1"
        );
        assert_eq!(
            err(topic("TopicArn", "randomstring:1", &ns)),
            "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 2"
        );
        assert_eq!(
            err(topic("TopicArn", "", &ns)),
            "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1"
        );
        assert_eq!(err(topic("TopicArn", "arn:aws:sns:eu-west-1:000000000000:t", &ns)), "Invalid parameter: TopicArn");
        let id = topic("TopicArn", "arn:aws:sns:us-east-1:111111111111:t", &ns).unwrap();
        assert_eq!(id.arn(), "arn:aws:sns:us-east-1:111111111111:t");
        let sub = |a: Option<&str>| subscription(a, &ns).unwrap_err().message.to_string();
        assert_eq!(sub(None), "Invalid parameter: SubscriptionArn Reason: no value for required parameter");
        assert_eq!(
            sub(Some("arn:aws:sns:us-east-1:000000000000")),
            "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 5"
        );
        assert_eq!(sub(Some("arn:aws:sns:us-east-1:000000000000:t")), "Invalid parameter: SubscriptionId");
        assert!(subscription(Some("arn:aws:sns:us-east-1:000000000000:t:abc"), &ns).is_ok());
    }
}
