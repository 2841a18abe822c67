"""SNS with boto3 (and the aws CLI): topics, subscriptions, fan-out into queues, filter policies,
raw delivery, FIFO topics, AWS's errors. Each queue gets the Policy AWS requires before a topic
may send to it (the verified compat pass enforces it)."""
import json
import os
import subprocess
import uuid

import boto3
import botocore
import pytest

ENDPOINT = os.environ["AWS_ENDPOINT_URL"]
CLI_ENV = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")


@pytest.fixture
def sns():
    return boto3.client("sns", endpoint_url=ENDPOINT, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


def unique(prefix):
    return prefix + "-" + uuid.uuid4().hex[:10]


def subscribed_queue(sqs, sns, topic, name, **attributes):
    """A queue subscribed to the topic, with the Policy that lets the topic send to it."""
    url = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"} if name.endswith(".fifo") else {})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attributes, ReturnSubscriptionArn=True)
    return url, sub["SubscriptionArn"]


def receive(sqs, url, **kw):
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, **kw).get("Messages", [])


def test_17_publish_once_consume_many(sqs, sns):
    topic = sns.create_topic(Name=unique("orders"))["TopicArn"]
    billing, _ = subscribed_queue(sqs, sns, topic, unique("billing"))
    logistic, _ = subscribed_queue(sqs, sns, topic, unique("logistic"))
    published = sns.publish(TopicArn=topic, Subject="order", Message='{"id": 1}',
                            MessageAttributes={"event": {"DataType": "String", "StringValue": "order.v1.submit"}})
    for url in (billing, logistic):
        [message] = receive(sqs, url, MessageAttributeNames=["All"])
        envelope = json.loads(message["Body"])
        assert list(envelope) == ["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp",
                                  "SignatureVersion", "Signature", "SigningCertURL", "UnsubscribeURL",
                                  "MessageAttributes"]
        assert envelope["MessageId"] == published["MessageId"]
        assert envelope["Message"] == '{"id": 1}'
        assert envelope["MessageAttributes"] == {"event": {"Type": "String", "Value": "order.v1.submit"}}
        assert "MessageAttributes" not in message, "envelope mode sends no SQS attributes"


def test_17_raw_delivery_and_attribute_digest(sqs, sns):
    topic = sns.create_topic(Name=unique("raw"))["TopicArn"]
    url, sub = subscribed_queue(sqs, sns, topic, unique("raw"), RawMessageDelivery="true")
    sns.publish(TopicArn=topic, Message="plain", MessageAttributes={
        "attr1": {"DataType": "Number", "StringValue": "99.12"}})
    [message] = receive(sqs, url, MessageAttributeNames=["All"])
    assert message["Body"] == "plain"
    assert message["MD5OfMessageAttributes"] == "d302007e9aa062660afc85fd0a482472"
    assert message["MessageAttributes"]["attr1"] == {"StringValue": "99.12", "DataType": "Number"}


def test_17_filter_policies_on_attributes_and_body(sqs, sns):
    topic = sns.create_topic(Name=unique("events"))["TopicArn"]
    big, _ = subscribed_queue(sqs, sns, topic, unique("big"),
                              FilterPolicy=json.dumps({"amount": [{"numeric": [">", 100]}]}))
    german, sub = subscribed_queue(sqs, sns, topic, unique("de"), FilterPolicyScope="MessageBody",
                                   FilterPolicy=json.dumps({"order": {"country": ["DE"]}}))
    for amount, country in [(50, "DE"), (500, "FR")]:
        sns.publish(TopicArn=topic, Message=json.dumps({"order": {"country": country}}),
                    MessageAttributes={"amount": {"DataType": "Number", "StringValue": str(amount)}})
    assert [json.loads(json.loads(m["Body"])["Message"])["order"]["country"] for m in receive(sqs, big)] == ["FR"]
    assert [json.loads(json.loads(m["Body"])["Message"])["order"]["country"] for m in receive(sqs, german)] == ["DE"]
    attributes = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attributes["FilterPolicyScope"] == "MessageBody"
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue="")
    attributes = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert "FilterPolicy" not in attributes and "FilterPolicyScope" not in attributes


def test_17_invalid_filter_policy_is_refused(sns):
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    with pytest.raises(sns.exceptions.InvalidParameterException) as e:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:000000000000:q",
                      Attributes={"FilterPolicy": json.dumps({"a": [{"wrong-operator": 1}]})})
    assert e.value.response["Error"]["Message"].startswith(
        "Invalid parameter: Attributes Reason: FilterPolicy: Unrecognized match type wrong-operator")


def test_17_fifo_topic_to_fifo_queue(sqs, sns):
    name = unique("jobs") + ".fifo"
    topic = sns.create_topic(Name=name, Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["FifoTopic"] == "true" and attributes["ContentBasedDeduplication"] == "true"
    url, _ = subscribed_queue(sqs, sns, topic, unique("jobs") + ".fifo", RawMessageDelivery="true")
    ids = [sns.publish(TopicArn=topic, Message=body, MessageGroupId="g")["MessageId"] for body in ["a", "b", "a"]]
    assert ids[0] == ids[2], "a duplicate within five minutes answers the original's id"
    batch = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "1", "Message": "c", "MessageGroupId": "g"}, {"Id": "2", "Message": "d", "MessageGroupId": "g"}])
    assert [s["Id"] for s in batch["Successful"]] == ["1", "2"] and batch["Failed"] == []
    messages = receive(sqs, url, AttributeNames=["All"])
    assert [m["Body"] for m in messages] == ["a", "b", "c", "d"]
    assert messages[0]["Attributes"]["MessageGroupId"] == "g"
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.publish(TopicArn=topic, Message="x")


def test_17_topic_lifecycle_tags_and_idempotency(sns):
    name = unique("life")
    topic = sns.create_topic(Name=name, Tags=[{"Key": "team", "Value": "checkout"}])["TopicArn"]
    assert sns.create_topic(Name=name)["TopicArn"] == topic
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.create_topic(Name=name, Tags=[{"Key": "other", "Value": "x"}])
    sns.set_topic_attributes(TopicArn=topic, AttributeName="DisplayName", AttributeValue="Orders")
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["DisplayName"] == "Orders" and attributes["TopicArn"] == topic
    assert json.loads(attributes["Policy"])["Statement"][0]["Sid"] == "__default_statement_ID"
    sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "env", "Value": "dev"}])
    sns.untag_resource(ResourceArn=topic, TagKeys=["team"])
    assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == [{"Key": "env", "Value": "dev"}]
    sns.add_permission(TopicArn=topic, Label="publishers", AWSAccountId=["111111111111"], ActionName=["Publish"])
    policy = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    assert policy["Statement"][-1]["Sid"] == "publishers"
    sns.remove_permission(TopicArn=topic, Label="publishers")
    arns = [t["TopicArn"] for page in sns.get_paginator("list_topics").paginate() for t in page["Topics"]]
    assert topic in arns
    sns.delete_topic(TopicArn=topic)
    sns.delete_topic(TopicArn=topic)
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.get_topic_attributes(TopicArn=topic)


def test_17_unsubscribe_stops_delivery(sqs, sns):
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    url, sub = subscribed_queue(sqs, sns, topic, unique("q"))
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [s["SubscriptionArn"] for s in listed] == [sub] and listed[0]["Protocol"] == "sqs"
    sns.unsubscribe(SubscriptionArn=sub)
    sns.unsubscribe(SubscriptionArn=sub)
    sns.publish(TopicArn=topic, Message="nobody")
    assert receive(sqs, url) == []
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.get_subscription_attributes(SubscriptionArn=sub)


def test_17_errors_are_typed(sns):
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.publish(TopicArn="arn:aws:sns:us-east-1:000000000000:" + unique("missing"), Message="m")
    with pytest.raises(sns.exceptions.InvalidParameterException) as e:
        sns.create_topic(Name="bad name")
    assert e.value.response["Error"]["Message"] == "Invalid parameter: Topic Name"
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    with pytest.raises(sns.exceptions.InvalidParameterValueException):
        sns.publish(TopicArn=topic, Message="m", MessageAttributes={"a": {"DataType": "Invalid", "StringValue": "x"}})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{"Id": "1", "Message": "a"}, {"Id": "1", "Message": "b"}])
    assert e.value.response["Error"]["Code"] == "BatchEntryIdsNotDistinct"


def aws_sns(*args):
    done = subprocess.run(["aws", "--endpoint-url", ENDPOINT, "sns", *args], env=CLI_ENV,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


@pytest.mark.skipif(os.environ.get("EXPECTED_PROTOCOL") != "json", reason="the aws CLI is in the current venv only")
def test_17_aws_cli_sns_walkthrough(sqs):
    topic = aws_sns("create-topic", "--name", unique("cli"))["TopicArn"]
    url = sqs.create_queue(QueueName=unique("cli"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                             "Action": "sqs:SendMessage", "Resource": arn}]}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    sub = aws_sns("subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", arn)
    assert sub["SubscriptionArn"].startswith(topic + ":")
    aws_sns("set-subscription-attributes", "--subscription-arn", sub["SubscriptionArn"],
            "--attribute-name", "RawMessageDelivery", "--attribute-value", "true")
    assert "MessageId" in aws_sns("publish", "--topic-arn", topic, "--message", "from the cli")
    assert [m["Body"] for m in receive(sqs, url)] == ["from the cli"]
    assert any(s["SubscriptionArn"] == sub["SubscriptionArn"] for s in aws_sns("list-subscriptions")["Subscriptions"])
    aws_sns("delete-topic", "--topic-arn", topic)
