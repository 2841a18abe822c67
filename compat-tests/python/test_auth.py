"""SigV4 verification as boto3 meets it (run against a server started with --credential test:test;
skipped otherwise): a wrong secret, an unknown key and a wrong region scope raise AWS's codes, and
a presigned URL (botocore's own presigner) works until it expires."""
import os
import time
import urllib.error
import urllib.request

import boto3
import botocore.exceptions
import pytest

from conftest import ENDPOINT

pytestmark = pytest.mark.skipif(not os.environ.get("SQS_LOCAL_VERIFIED"), reason="the server does not verify signatures")


def client(key="test", secret="test", region="us-east-1"):
    return boto3.client("sqs", endpoint_url=ENDPOINT, region_name=region,
                        aws_access_key_id=key, aws_secret_access_key=secret)


def code_of(call):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_wrong_secret_unknown_key_and_scope_get_aws_codes():
    assert code_of(lambda: client(secret="wrong").list_queues()) == ("SignatureDoesNotMatch", 403)
    assert code_of(lambda: client(key="nobody").list_queues()) == ("InvalidClientTokenId", 403)
    assert code_of(lambda: client(region="moon").list_queues()) == ("SignatureDoesNotMatch", 403)
    assert client().list_queues()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_presigned_urls_work_and_expire(name):
    sqs = client()
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    if os.environ.get("EXPECTED_PROTOCOL") != "query":
        pytest.skip("botocore presigns Query requests only (JSON 1.0 bodies cannot go in a URL)")
    # The method is signed: a URL to open with GET must be presigned for GET (botocore's default
    # is the operation's POST).
    presigned = sqs.generate_presigned_url("get_queue_url", Params={"QueueName": name}, ExpiresIn=1, HttpMethod="GET")
    assert "X-Amz-Signature=" in presigned
    with urllib.request.urlopen(presigned) as response:
        assert url in response.read().decode()
    time.sleep(2.1)
    with pytest.raises(urllib.error.HTTPError) as expired:
        urllib.request.urlopen(presigned)
    assert expired.value.code == 400
    assert "<Code>RequestExpired</Code>" in expired.value.read().decode()
