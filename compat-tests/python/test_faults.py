"""Scenario 16: boto3's retries against the admin API's fault rules, per botocore's documented
retry modes (https://boto3.amazonaws.com/v1/documentation/api/latest/guide/retries.html):
standard mode retries throttling errors, 5xx and connection errors; legacy mode retries 5xx,
connection errors and the throttling codes of its _retry.json; neither retries an ordinary 400.
`total_max_attempts` counts the first attempt (the guide's `max_attempts` counts only retries). A
rule's `fired` count is how many attempts reached the server."""
import json
import os
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["AWS_ENDPOINT_URL"]


def admin(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(ENDPOINT + "/_admin" + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if os.environ.get("SQS_LOCAL_ADMIN_TOKEN"):  # a server verifying signatures guards its admin API
        request.add_header("Authorization", "Bearer " + os.environ["SQS_LOCAL_ADMIN_TOKEN"])
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def client(mode, attempts):
    config = Config(retries={"mode": mode, "total_max_attempts": attempts}, connect_timeout=2, read_timeout=5)
    return boto3.client(
        "sqs",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=config,
    )


@pytest.fixture
def queue(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    yield name, url
    admin("DELETE", "/faults")


def fired(rule):
    return next(r["fired"] for r in admin("GET", "/faults")["faults"] if r["id"] == rule["id"])


@pytest.mark.parametrize("code", ["ThrottlingException", "RequestThrottled", "InternalError", "ServiceUnavailable"])
def test_16_standard_mode_retries_throttling_and_5xx_then_gives_up(queue, code):
    name, url = queue
    sqs = client("standard", 3)
    rule = admin("POST", "/faults", {"action": "SendMessage", "queue": name, "error": code, "count": 2})
    assert sqs.send_message(QueueUrl=url, MessageBody="after two failures")["MessageId"]
    assert fired(rule) == 2
    rule = admin("POST", "/faults", {"action": "SendMessage", "queue": name, "error": code})
    with pytest.raises(ClientError) as raised:
        sqs.send_message(QueueUrl=url, MessageBody="never")
    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["RetryAttempts"] == 2
    assert fired(rule) == 3, "3 attempts in all"


def test_16_legacy_mode_retries_5xx_and_throttling(queue):
    name, url = queue
    sqs = client("legacy", 3)
    for code in ["InternalError", "ServiceUnavailable", "ThrottlingException"]:
        rule = admin("POST", "/faults", {"action": "ReceiveMessage", "queue": name, "error": code, "count": 2})
        sqs.receive_message(QueueUrl=url)
        assert fired(rule) == 2, code


@pytest.mark.parametrize("mode", ["standard", "legacy"])
def test_16_a_400_is_not_retried(queue, mode):
    name, url = queue
    sqs = client(mode, 5)
    rule = admin("POST", "/faults", {"action": "SendMessage", "queue": name, "error": "InvalidParameterValue"})
    with pytest.raises(ClientError) as raised:
        sqs.send_message(QueueUrl=url, MessageBody="m")
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert fired(rule) == 1, "no retry"


def test_16_a_dropped_connection_is_retried(queue):
    name, url = queue
    sqs = client("standard", 3)
    rule = admin("POST", "/faults", {"action": "SendMessage", "queue": name, "dropConnection": True, "count": 1})
    assert sqs.send_message(QueueUrl=url, MessageBody="after a reconnect")["MessageId"]
    assert fired(rule) == 1


def test_16_latency_reaches_the_client(queue):
    import time

    name, url = queue
    sqs = client("standard", 1)
    admin("POST", "/faults", {"action": "GetQueueAttributes", "queue": name, "latencyMs": 400})
    started = time.monotonic()
    sqs.get_queue_attributes(QueueUrl=url)
    assert time.monotonic() - started >= 0.4
