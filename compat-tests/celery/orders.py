"""A small order service on Celery with kombu's SQS transport, pointed at sqs-local.

`bill` runs on the standard queue `billing`; `ship` runs on the FIFO queue `logistics.fifo` with one
message group per customer. Every execution is appended to the JSON-lines file $ORDERS_LOG so the
test can check exactly-once execution, per-customer order and retries.
"""
import fcntl
import json
import os
import time
from urllib.parse import urlparse

from celery import Celery

endpoint = urlparse(os.environ["AWS_ENDPOINT_URL"])
app = Celery("orders", broker=f"sqs://test:test@{endpoint.hostname}:{endpoint.port}")
app.conf.update(
    broker_transport_options={
        "is_secure": False,
        "region": "us-east-1",
        "queue_name_prefix": os.environ["ORDERS_QUEUE_PREFIX"],
        "wait_time_seconds": 1,
        "polling_interval": 0.1,
        "visibility_timeout": 60,
    },
    broker_connection_retry_on_startup=True,
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    task_routes={"orders.bill": {"queue": "billing"}, "orders.ship": {"queue": "logistics.fifo"}},
    worker_hijack_root_logger=False,
)


def record(task, order, customer, attempt):
    with open(os.environ["ORDERS_LOG"], "a") as log:
        fcntl.flock(log, fcntl.LOCK_EX)
        log.write(json.dumps({"task": task, "order": order, "customer": customer, "attempt": attempt,
                              "worker": os.getpid(), "at": time.time()}) + "\n")


@app.task(bind=True, name="orders.bill", max_retries=3)
def bill(self, order, customer, fail_first=False):
    record("bill", order, customer, self.request.retries)
    if fail_first and self.request.retries == 0:
        raise self.retry(countdown=0)


@app.task(name="orders.ship")
def ship(order, customer):
    # Long enough that a second worker would overtake if a group were not locked.
    time.sleep(0.02)
    record("ship", order, customer, 0)
