"""The pytest fixture README's "Test API" section shows, run as written (scenario-less: "other")."""
# ---- README snippet starts ----
import json
import os
import urllib.request

import boto3
import pytest

ENDPOINT = os.environ.get("AWS_ENDPOINT_URL", "http://localhost:9324")


def admin(path, body=None):
    """POST to sqs-local's admin API."""
    request = urllib.request.Request(
        f"{ENDPOINT}/_admin{path}", data=json.dumps(body or {}).encode(), method="POST"
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


@pytest.fixture
def fresh_sqs():
    """A client on an emulator with no queues, no faults and the clock back at the wall clock."""
    admin("/reset")
    yield boto3.client("sqs", endpoint_url=ENDPOINT, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    admin("/reset")


def test_redelivered_after_the_visibility_timeout(fresh_sqs):
    url = fresh_sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    fresh_sqs.send_message(QueueUrl=url, MessageBody="work")
    assert len(fresh_sqs.receive_message(QueueUrl=url)["Messages"]) == 1
    admin("/clock/advance", {"seconds": 60})  # instead of time.sleep(60)
    again = fresh_sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])
    assert again["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "2"
# ---- README snippet ends ----
