"""Celery + kombu SQS transport against sqs-local: an order service enqueues tasks; a billing worker
and two logistics workers consume them. Checks: every task runs exactly once, per-customer order holds
on the FIFO queue, a retried task is redelivered, and the queues end empty."""
import json
import os
import signal
import subprocess
import sys
import time
import uuid

import boto3
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
CUSTOMERS = [f"customer-{i}" for i in range(4)]
ORDERS_PER_CUSTOMER = 8
RETRIED = {"order-1-3", "order-2-5"}


@pytest.fixture
def env(tmp_path):
    return dict(
        os.environ,
        ORDERS_LOG=str(tmp_path / "orders.jsonl"),
        ORDERS_QUEUE_PREFIX="celery-" + uuid.uuid4().hex[:8] + "-",
        PYTHONPATH=HERE,
    )


def start_worker(env, name, queues):
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "orders", "worker", "-Q", queues, "-n", f"{name}@%h",
         "--pool", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "warning"],
        cwd=HERE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )


def read_log(env):
    try:
        with open(env["ORDERS_LOG"]) as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def test_order_service_billing_and_logistics(env):
    os.environ.update({k: env[k] for k in ("ORDERS_LOG", "ORDERS_QUEUE_PREFIX")})
    sys.path.insert(0, HERE)
    import orders

    expected_bills = len(CUSTOMERS) * ORDERS_PER_CUSTOMER
    for c, customer in enumerate(CUSTOMERS):
        for n in range(ORDERS_PER_CUSTOMER):
            order = f"order-{c}-{n}"
            orders.bill.delay(order, customer, fail_first=order in RETRIED)
            orders.ship.apply_async((order, customer), MessageGroupId=customer)

    workers = [
        start_worker(env, "billing", "billing"),
        start_worker(env, "logistics1", "logistics.fifo"),
        start_worker(env, "logistics2", "logistics.fifo"),
    ]
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            log = read_log(env)
            bills = [e for e in log if e["task"] == "bill"]
            ships = [e for e in log if e["task"] == "ship"]
            if len(bills) >= expected_bills + len(RETRIED) and len(ships) >= expected_bills:
                break
            for w in workers:
                assert w.poll() is None, w.stderr.read()
            time.sleep(0.2)
        time.sleep(1.5)  # anything extra (a duplicate) would show up now
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(timeout=30)
            except subprocess.TimeoutExpired:
                w.kill()

    log = read_log(env)
    bills = [e for e in log if e["task"] == "bill"]
    ships = [e for e in log if e["task"] == "ship"]
    # Billing: every order billed exactly once successfully; retried ones ran twice (attempts 0, 1).
    runs = {}
    for e in bills:
        runs.setdefault(e["order"], []).append(e["attempt"])
    assert len(runs) == expected_bills
    for order, attempts in runs.items():
        assert sorted(attempts) == ([0, 1] if order in RETRIED else [0]), (order, attempts)
    # Logistics: exactly once, and per customer in the order the service enqueued them.
    assert sorted(e["order"] for e in ships) == sorted(runs)
    for c, customer in enumerate(CUSTOMERS):
        got = [e["order"] for e in sorted(ships, key=lambda e: e["at"]) if e["customer"] == customer]
        assert got == [f"order-{c}-{n}" for n in range(ORDERS_PER_CUSTOMER)], got
    assert len({e["worker"] for e in ships}) == 2, "both logistics workers took part"

    # Queues end empty.
    sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    urls = sqs.list_queues(QueueNamePrefix=env["ORDERS_QUEUE_PREFIX"])["QueueUrls"]
    assert len(urls) == 2, urls
    for url in urls:
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attrs["ApproximateNumberOfMessages"] == "0", (url, attrs)
        assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0", (url, attrs)
        assert attrs["ApproximateNumberOfMessagesDelayed"] == "0", (url, attrs)
