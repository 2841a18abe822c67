"""The kombu fan-out scenario (issue 16): one publish reaches every subscribed service exactly
once. The Order process and the Billing and Logistic consumers are separate processes; kombu
creates the SNS topic and subscriptions itself (`supports_fanout`)."""
import json
import os
import subprocess
import sys
import time
import uuid

import boto3

HERE = os.path.dirname(os.path.abspath(__file__))
ORDERS = 20
SERVICES = ["billing", "logistic"]


def read_log(path):
    try:
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def wait_for(condition, what, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_17_order_events_fan_out_to_billing_and_logistic(tmp_path):
    prefix = "fanout-" + uuid.uuid4().hex[:8] + "-"
    env = dict(os.environ, FANOUT_LOG=str(tmp_path / "events.jsonl"), FANOUT_PREFIX=prefix)
    run = lambda *args, **kw: subprocess.Popen([sys.executable, os.path.join(HERE, "fanout.py"), *args], env=env, **kw)
    consumers = [run("consume", s, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for s in SERVICES]
    try:
        ready = lambda: {e["service"] for e in read_log(env["FANOUT_LOG"]) if e.get("ready")} == set(SERVICES)
        wait_for(ready, "both consumers to subscribe")
        assert run("publish", str(ORDERS)).wait(timeout=60) == 0
        delivered = lambda: [e for e in read_log(env["FANOUT_LOG"]) if "order" in e]
        wait_for(lambda: len(delivered()) >= ORDERS * len(SERVICES), "every event in every service")
        time.sleep(1.5)  # a duplicate would show up now
        for c in consumers:
            assert c.poll() is None, c.stderr.read()
    finally:
        for c in consumers:
            c.kill()
            c.wait()
    events = delivered()
    for service in SERVICES:
        orders = sorted(e["order"] for e in events if e["service"] == service)
        assert orders == list(range(ORDERS)), f"{service} got each event once"
    assert all(e["event"] == "order.v1.submit" for e in events)

    # What kombu made: one topic, a raw SQS subscription per service queue, each queue's Policy
    # letting the topic send.
    kw = dict(endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
    sns, sqs = boto3.client("sns", **kw), boto3.client("sqs", **kw)
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(":" + prefix + "order-events"))
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert sorted(s["Endpoint"].rsplit(":", 1)[1] for s in subscriptions) == [prefix + s for s in SERVICES]
    for s in subscriptions:
        attributes = sns.get_subscription_attributes(SubscriptionArn=s["SubscriptionArn"])["Attributes"]
        assert attributes["RawMessageDelivery"] == "true"
    url = sqs.get_queue_url(QueueName=prefix + "billing")["QueueUrl"]
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    assert any(st.get("Principal") == {"Service": "sns.amazonaws.com"} for st in policy["Statement"])
