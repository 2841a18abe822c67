"""Fan-out with kombu's SQS transport and `supports_fanout`: an Order process publishes order
events to a fanout exchange; Billing and Logistic run as separate processes, each with its own
queue bound to the exchange. kombu creates the SNS topic, subscribes the queues (raw delivery),
sets their Policy so the topic may send, and publishes through SNS.

    python fanout.py consume billing    # until killed; logs each event to $FANOUT_LOG
    python fanout.py publish 20
"""
import fcntl
import json
import os
import socket
import sys
from urllib.parse import urlparse

from kombu import Connection, Exchange, Queue

endpoint = urlparse(os.environ["AWS_ENDPOINT_URL"])
URL = f"sqs://test:test@{endpoint.hostname}:{endpoint.port}"
OPTIONS = {
    "is_secure": False,
    "region": "us-east-1",
    "supports_fanout": True,
    "queue_name_prefix": os.environ["FANOUT_PREFIX"],
    "wait_time_seconds": 1,
    "polling_interval": 0.1,
}
EVENTS = Exchange("order-events", type="fanout")


def log(entry):
    with open(os.environ["FANOUT_LOG"], "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(json.dumps(entry) + "\n")


def consume(service):
    def handle(body, message):
        log({"service": service, "order": body["order"], "event": body["event"], "pid": os.getpid()})
        message.ack()

    with Connection(URL, transport_options=OPTIONS) as conn:
        with conn.Consumer(Queue(service, exchange=EVENTS), callbacks=[handle], accept=["json"]):
            log({"service": service, "ready": True})
            while True:
                try:
                    conn.drain_events(timeout=1)
                except socket.timeout:
                    pass


def publish(count):
    with Connection(URL, transport_options=OPTIONS) as conn:
        producer = conn.Producer(exchange=EVENTS, serializer="json")
        for order in range(count):
            producer.publish({"event": "order.v1.submit", "order": order}, exchange=EVENTS, declare=[EVENTS])


if __name__ == "__main__":
    if sys.argv[1] == "consume":
        consume(sys.argv[2])
    else:
        publish(int(sys.argv[2]))
