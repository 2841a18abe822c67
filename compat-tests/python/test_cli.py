"""The aws CLI v1 against the emulator: --endpoint-url and the AWS_ENDPOINT_URL variable."""
import json
import os
import subprocess

import pytest

ENDPOINT = os.environ["AWS_ENDPOINT_URL"]
ENV = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")


def aws(*args, endpoint=True, check=True):
    cmd = ["aws"] + (["--endpoint-url", ENDPOINT] if endpoint else []) + ["sqs", *args]
    done = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=60)
    if check and done.returncode != 0:
        raise AssertionError(f"{cmd} failed: {done.stderr}")
    return json.loads(done.stdout) if done.stdout.strip() else None, done


def test_cli_new_user_walkthrough(name):
    url = aws("create-queue", "--queue-name", name)[0]["QueueUrl"]
    sent, _ = aws(
        "send-message", "--queue-url", url, "--message-body", "hello",
        "--message-attributes", '{"City":{"DataType":"String","StringValue":"Any City"}}',
    )
    assert sent["MD5OfMessageBody"] == "5d41402abc4b2a76b9719d911017c592"
    assert sent["MD5OfMessageAttributes"] == "0c32cb5c844c01fbd5b6b434b52cf670"
    received, _ = aws("receive-message", "--queue-url", url, "--message-attribute-names", "All")
    message = received["Messages"][0]
    assert message["Body"] == "hello"
    assert message["MessageAttributes"]["City"]["StringValue"] == "Any City"
    aws("change-message-visibility", "--queue-url", url, "--receipt-handle", message["ReceiptHandle"],
        "--visibility-timeout", "60")
    aws("delete-message", "--queue-url", url, "--receipt-handle", message["ReceiptHandle"])
    aws("purge-queue", "--queue-url", url)
    aws("delete-queue", "--queue-url", url)
    _, done = aws("get-queue-url", "--queue-name", name, check=False)
    assert done.returncode != 0
    assert "AWS.SimpleQueueService.NonExistentQueue" in done.stderr


def test_cli_reads_aws_endpoint_url_variable(name):
    # aws CLI v1 overrides the SQS endpoint with the legacy *.queue.amazonaws.com host for the
    # regions in its awscli/customizations/overridesslcommonname.py table, ignoring
    # AWS_ENDPOINT_URL there (only --endpoint-url wins). In other regions it honours the variable.
    env = dict(ENV, AWS_DEFAULT_REGION="eu-central-2")
    done = subprocess.run(["aws", "sqs", "create-queue", "--queue-name", name], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    url = json.loads(done.stdout)["QueueUrl"]
    assert url.startswith(ENDPOINT) and url.endswith("/" + name)
    done = subprocess.run(["aws", "sqs", "list-queues", "--queue-name-prefix", name], env=env, capture_output=True,
                          text=True, timeout=60)
    assert json.loads(done.stdout)["QueueUrls"] == [url]
