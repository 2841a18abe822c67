"""Shared fixtures: a boto3 client pointed at the emulator (AWS_ENDPOINT_URL), a recorder of the
protocol each request used, and unique queue names."""
import os
import uuid

import boto3
import pytest

ENDPOINT = os.environ["AWS_ENDPOINT_URL"]


class WireLog:
    """Content types of the requests sent, to prove which protocol the SDK spoke."""

    def __init__(self):
        self.content_types = []

    def __call__(self, request, **kwargs):
        self.content_types.append(request.headers.get("Content-Type", b""))


@pytest.fixture
def wire():
    return WireLog()


@pytest.fixture
def sqs(wire):
    client = boto3.client(
        "sqs",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.meta.events.register("before-send.sqs", wire)
    return client


@pytest.fixture
def name():
    return "compat-" + uuid.uuid4().hex[:12]
