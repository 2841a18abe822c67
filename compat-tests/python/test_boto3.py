"""Scenarios of compat-tests/scenarios.md run with boto3. The same file runs under current boto3
(JSON 1.0) and under boto3 1.28.60 / botocore 1.31.60 (AWS Query); EXPECTED_PROTOCOL says which."""
import base64
import hashlib
import os
import struct
import threading
import time

import botocore
import pytest

EXPECTED_PROTOCOL = os.environ.get("EXPECTED_PROTOCOL", "json")


def md5_of_attributes(attributes):
    """MD5OfMessageAttributes as AWS documents it (independent of the server's implementation)."""
    buf = b""
    for name in sorted(attributes):
        value = attributes[name]
        encode = lambda b: struct.pack(">I", len(b)) + b
        buf += encode(name.encode()) + encode(value["DataType"].encode())
        if "BinaryValue" in value:
            buf += b"\x02" + encode(value["BinaryValue"])
        else:
            buf += b"\x01" + encode(value["StringValue"].encode())
    return hashlib.md5(buf).hexdigest()


def test_01_protocol_on_the_wire(sqs, wire, name):
    sqs.create_queue(QueueName=name)
    content_type = wire.content_types[-1]
    content_type = content_type.decode() if isinstance(content_type, bytes) else content_type
    if EXPECTED_PROTOCOL == "json":
        assert content_type.startswith("application/x-amz-json-1.0"), content_type
    else:
        assert content_type.startswith("application/x-www-form-urlencoded"), content_type


def test_02_queue_lifecycle_and_attributes(sqs, name):
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "45", "DelaySeconds": "0"})["QueueUrl"]
    assert url.endswith("/000000000000/" + name)
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url
    # Idempotent with equal attributes, QueueNameExists with a different one.
    assert sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "45"})["QueueUrl"] == url
    with pytest.raises(sqs.exceptions.QueueNameExists) as err:
        sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "46"})
    assert err.value.response["Error"]["Code"] == "QueueAlreadyExists"
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "45"
    assert attrs["MaximumMessageSize"] == "1048576"
    assert attrs["MessageRetentionPeriod"] == "345600"
    assert attrs["QueueArn"] == "arn:aws:sqs:us-east-1:000000000000:" + name
    assert int(attrs["CreatedTimestamp"]) > 1_600_000_000 and int(attrs["CreatedTimestamp"]) < 10_000_000_000
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"ReceiveMessageWaitTimeSeconds": "1"})
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ReceiveMessageWaitTimeSeconds"])["Attributes"] == {
        "ReceiveMessageWaitTimeSeconds": "1"
    }
    assert url in sqs.list_queues(QueueNamePrefix=name)["QueueUrls"]
    sqs.delete_queue(QueueUrl=url)
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix=name)


def test_03_tags(sqs, name):
    url = sqs.create_queue(QueueName=name, tags={"team": "core"})["QueueUrl"]
    sqs.tag_queue(QueueUrl=url, Tags={"env": "ci", "empty": ""})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "core", "env": "ci", "empty": ""}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team", "missing"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "ci", "empty": ""}


def test_04_message_attributes_and_digests(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    attributes = {
        "City": {"DataType": "String", "StringValue": "Any City"},
        "Count": {"DataType": "Number", "StringValue": "42"},
        "Blob": {"DataType": "Binary", "BinaryValue": b"\x01\x02\x03"},
        "Price": {"DataType": "Number.float", "StringValue": "1.5"},
    }
    body = "Hello, world!\r\nwith CR"
    sent = sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attributes)
    assert sent["MD5OfMessageBody"] == hashlib.md5(body.encode()).hexdigest()
    assert sent["MD5OfMessageAttributes"] == md5_of_attributes(attributes)
    got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], AttributeNames=["All"])["Messages"][0]
    assert got["Body"] == body
    assert got["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert got["MessageAttributes"] == attributes
    assert got["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    system = got["Attributes"]
    assert system["ApproximateReceiveCount"] == "1"
    assert system["SenderId"] == "000000000000"
    assert abs(int(system["SentTimestamp"]) - time.time() * 1000) < 60_000
    # Filtered selection: digest over the returned subset only.
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=got["ReceiptHandle"], VisibilityTimeout=0)
    again = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["C.*"])["Messages"][0]
    subset = {k: v for k, v in attributes.items() if k.startswith("C")}
    assert again["MessageAttributes"] == subset
    assert again["MD5OfMessageAttributes"] == md5_of_attributes(subset)


def test_05_trace_header_system_attribute(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody="traced",
        MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": trace}},
    )
    assert sent["MD5OfMessageSystemAttributes"] == "5f48eef650c1d0207456969c85af2fdd"
    assert "MD5OfMessageAttributes" not in sent
    got = sqs.receive_message(QueueUrl=url, AttributeNames=["AWSTraceHeader"])["Messages"][0]
    assert got["Attributes"] == {"AWSTraceHeader": trace}


def test_06_batches_with_partial_failure(sqs, name):
    url = sqs.create_queue(QueueName=name, Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    result = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok1", "MessageBody": "one"},
            {"Id": "big", "MessageBody": "x" * 1025},
            {"Id": "ok2", "MessageBody": "two"},
        ],
    )
    assert sorted(e["Id"] for e in result["Successful"]) == ["ok1", "ok2"]
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in result["Failed"]] == [("big", "InvalidParameterValue", True)]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in messages) == ["one", "two"]
    changed = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[{"Id": "c0", "ReceiptHandle": messages[0]["ReceiptHandle"], "VisibilityTimeout": 5},
                 {"Id": "bad", "ReceiptHandle": "garbage", "VisibilityTimeout": 5}],
    )
    assert [e["Id"] for e in changed["Successful"]] == ["c0"]
    assert changed["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    deleted = sqs.delete_message_batch(
        QueueUrl=url, Entries=[{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
    )
    assert len(deleted["Successful"]) == 2 and deleted.get("Failed", []) == []


def test_07_visibility_heartbeat_and_redelivery(sqs, name):
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="work")
    first = sqs.receive_message(QueueUrl=url)["Messages"][0]
    # Heartbeat: extend while "processing".
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=3)
    time.sleep(1.2)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=0)
    again = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"][0]
    assert again["MessageId"] == first["MessageId"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"


def test_08_delay(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
    assert attrs["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=3)["Messages"]
    assert got[0]["Body"] == "later"


def test_09_long_poll_woken_by_another_client(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    threading.Timer(0.5, lambda: sqs.send_message(QueueUrl=url, MessageBody="wake")).start()
    started = time.monotonic()
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)["Messages"]
    elapsed = time.monotonic() - started
    assert got[0]["Body"] == "wake"
    assert 0.4 < elapsed < 3, elapsed


def test_10_fifo_order_groups_and_dedup(sqs, name):
    url = sqs.create_queue(QueueName=name + ".fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    sends = [("g1", "g1-m1"), ("g2", "g2-m1"), ("g1", "g1-m2"), ("g1", "g1-m3")]
    sequence = []
    for group, body in sends:
        r = sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=body)
        sequence.append(int(r["SequenceNumber"]))
    assert sequence == sorted(sequence)
    dup = sqs.send_message(QueueUrl=url, MessageBody="g1-m1", MessageGroupId="g1", MessageDeduplicationId="g1-m1")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in messages] == ["g1-m1", "g1-m2", "g1-m3", "g2-m1"]
    assert dup["MessageId"] == messages[0]["MessageId"]
    assert messages[0]["Attributes"]["MessageGroupId"] == "g1"
    # Group locking: nothing more while they are in flight.
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="x")
    assert err.value.response["Error"]["Code"] == "MissingParameter"


def test_11_poison_message_reaches_dlq(sqs, name):
    dlq = sqs.create_queue(QueueName=name + "-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = '{"deadLetterTargetArn":"%s","maxReceiveCount":"2"}' % dlq_arn
    src = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": policy, "VisibilityTimeout": "0"})["QueueUrl"]
    sqs.send_message(QueueUrl=src, MessageBody="poison")
    for _ in range(2):
        assert sqs.receive_message(QueueUrl=src)["Messages"][0]["Body"] == "poison"
    assert "Messages" not in sqs.receive_message(QueueUrl=src)
    dead = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"])["Messages"][0]
    assert dead["Body"] == "poison"
    assert dead["Attributes"]["DeadLetterQueueSourceArn"].endswith(":" + name)
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [src]


def test_12_errors_map_to_the_exceptions_sqs_raises(sqs, name):
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as err:
        sqs.get_queue_url(QueueName=name)
    assert err.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=url, ReceiptHandle="garbage")
    with pytest.raises(botocore.exceptions.ClientError) as err:
        sqs.send_message(QueueUrl=url, MessageBody="x" * (1048576 + 1))
    assert err.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "Message must be shorter than 1048576 bytes" in err.value.response["Error"]["Message"]
    with pytest.raises(botocore.exceptions.ClientError) as err:
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
    assert err.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_13_purge_and_counts(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=str(i))
    sqs.receive_message(QueueUrl=url)
    attrs = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert attrs == {"ApproximateNumberOfMessages": "2", "ApproximateNumberOfMessagesNotVisible": "1"}
    sqs.purge_queue(QueueUrl=url)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0" and attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_14_move_task_back_to_source(sqs, name):
    dlq = sqs.create_queue(QueueName=name + "-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = '{"deadLetterTargetArn":"%s","maxReceiveCount":"1"}' % dlq_arn
    src = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": policy, "VisibilityTimeout": "0"})["QueueUrl"]
    for body in ("one", "two"):
        sqs.send_message(QueueUrl=src, MessageBody=body)
    for _ in range(3):
        sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10)
    attrs = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "2"
    handle = sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]
    assert handle
    for _ in range(50):
        task = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
        if task["Status"] != "RUNNING":
            break
        time.sleep(0.1)
    assert task["Status"] == "COMPLETED"
    assert task["ApproximateNumberOfMessagesMoved"] == 2 and task["ApproximateNumberOfMessagesToMove"] == 2
    assert "DestinationArn" not in task and "TaskHandle" not in task
    bodies = sorted(m["Body"] for m in sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10)["Messages"])
    assert bodies == ["one", "two"]
    with pytest.raises(sqs.exceptions.ResourceNotFoundException):
        sqs.start_message_move_task(SourceArn=dlq_arn + "-missing")


def test_15_empty_lists(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    with pytest.raises(sqs.exceptions.EmptyBatchRequest) as err:
        sqs.send_message_batch(QueueUrl=url, Entries=[])
    assert err.value.response["Error"]["Code"] == "AWS.SimpleQueueService.EmptyBatchRequest"
    with pytest.raises(sqs.exceptions.EmptyBatchRequest):
        sqs.delete_message_batch(QueueUrl=url, Entries=[])
    sqs.send_message(QueueUrl=url, MessageBody="m")
    got = sqs.receive_message(QueueUrl=url, AttributeNames=[], MessageAttributeNames=[])["Messages"]
    assert [m["Body"] for m in got] == ["m"] and "Attributes" not in got[0]
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[])
