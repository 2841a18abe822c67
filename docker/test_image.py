"""The container image, run the way users run it: health, a boto3 round trip on the published port,
queue URLs that follow the Host the client used, a non-root process, a graceful stop within a
second, and durable mode on a /data volume surviving a container restart. Also measures the image
size and the time from the container's start to its first healthy answer.

Run by docker/test-image.sh (which builds the image and finds podman); prints "N passed, N failed".
"""

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime

import boto3
from botocore.config import Config

IMAGE = "sqs-local:latest"
PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]
RUN_LIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=1000:1000"]
VOLUME = "sqs-local-image-test"

results = []


def podman(*args, check=True):
    done = subprocess.run(PODMAN + list(args), capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"podman {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def free_port():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def healthy(port, within=10.0):
    """Seconds until GET /health answered 200 (raises after `within`)."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                if r.status == 200:
                    return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.002)
    raise AssertionError(f"not healthy within {within} s")


def sqs(host, port):
    return boto3.client(
        "sqs",
        endpoint_url=f"http://{host}:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def check(name, fn):
    try:
        fn()
        results.append((name, None))
        print(f"ok      {name}")
    except Exception as e:  # noqa: BLE001 - every failure is reported by name
        results.append((name, e))
        print(f"FAILED  {name}: {e!r}")


class Container:
    def __init__(self, *extra):
        self.port = free_port()
        self.name = f"sqs-local-test-{self.port}"
        self.invoked = time.monotonic()
        podman("run", "-d", "--name", self.name, "-p", f"127.0.0.1:{self.port}:9324", *RUN_LIMITS, *extra, IMAGE)
        self.since_invoked = time.monotonic() - self.invoked + healthy(self.port)
        self.healthy_at = datetime.now().astimezone()

    def inspect(self, template):
        return podman("inspect", self.name, "--format", template)

    def pid(self):
        return int(self.inspect("{{.State.Pid}}"))

    def started_at(self):
        # e.g. "2026-12-02 22:44:27.485539822 +0000 UTC": microseconds are enough.
        text = self.inspect("{{.State.StartedAt}}")
        stamp, _, zone = text.partition(" +")
        stamp = stamp[:26]
        return datetime.strptime(stamp + " +" + zone.split()[0], "%Y-%m-%d %H:%M:%S.%f %z")

    def remove(self):
        podman("rm", "-f", "-t", "0", self.name, check=False)


def main():
    size = int(podman("image", "inspect", IMAGE, "--format", "{{.Size}}"))
    print(f"image {IMAGE}: {size / 1e6:.2f} MB")
    check("image is at most 10 MB", lambda: _assert(size <= 10_000_000, f"{size} bytes"))

    c = Container()
    try:
        start_to_healthy = (c.healthy_at - c.started_at()).total_seconds()
        print(
            f"container process start to first healthy answer: {start_to_healthy * 1000:.0f} ms "
            f"(podman run invoked to healthy: {c.since_invoked * 1000:.0f} ms)"
        )
        check("healthy within 1 s of the container starting", lambda: _assert(start_to_healthy < 1.0, start_to_healthy))
        check("the image's HEALTHCHECK passes", lambda: podman("healthcheck", "run", c.name))
        check("boto3 round trip on the published port", lambda: round_trip(c.port))
        check("queue URLs follow the Host the client used", lambda: urls_follow_host(c.port))
        check("the server runs as a non-root user", lambda: non_root(c.pid()))
        check("podman stop ends it gracefully within 1 s", lambda: graceful_stop(c))
    finally:
        c.remove()

    check("durable mode on a /data volume survives a container restart", durable_restart)
    check("the example config file's queues exist in the container", example_config)
    check("docker/compose.yml: health-gated app on http://sqs:9324, named volume on /data", compose_file)
    check("docker/compose.postgres.yml: sqs-local on a health-gated PostgreSQL", compose_postgres_file)

    passed = sum(1 for _, e in results if e is None)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def _assert(condition, detail):
    if not condition:
        raise AssertionError(detail)


def round_trip(port):
    client = sqs("127.0.0.1", port)
    url = client.create_queue(QueueName="image-round-trip")["QueueUrl"]
    client.send_message(QueueUrl=url, MessageBody="hello from the host")
    messages = client.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    _assert([m["Body"] for m in messages] == ["hello from the host"], messages)
    client.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])


def urls_follow_host(port):
    for host in ("127.0.0.1", "localhost"):
        url = sqs(host, port).create_queue(QueueName="image-urls")["QueueUrl"]
        _assert(url == f"http://{host}:{port}/000000000000/image-urls", url)


def non_root(pid):
    with open(f"/proc/{pid}/status") as f:
        uids = next(line for line in f if line.startswith("Uid:")).split()[1:]
    _assert(all(u != "0" for u in uids), f"uids {uids}")


def graceful_stop(c):
    pid = c.pid()
    # A long poll in progress must not hold the stop up.
    poll = threading.Thread(
        target=lambda: _long_poll(c.port),
        daemon=True,
    )
    poll.start()
    time.sleep(0.3)
    stopped = time.monotonic()
    stopper = threading.Thread(target=lambda: podman("stop", c.name), daemon=True)
    stopper.start()
    while os.path.exists(f"/proc/{pid}") and time.monotonic() - stopped < 10:
        time.sleep(0.005)
    took = time.monotonic() - stopped
    stopper.join(15)
    exit_code = c.inspect("{{.State.ExitCode}}")
    print(f"        process gone {took * 1000:.0f} ms after podman stop, exit code {exit_code}")
    _assert(took < 1.0, f"{took:.2f} s")
    _assert(exit_code == "0", f"exit code {exit_code} (137 means it had to be killed)")


def _long_poll(port):
    client = sqs("127.0.0.1", port)
    url = client.create_queue(QueueName="image-stop")["QueueUrl"]
    try:
        client.receive_message(QueueUrl=url, WaitTimeSeconds=20)
    except Exception:  # noqa: BLE001 - only the server's exit is under test here
        pass


def durable_restart():
    podman("volume", "rm", "-f", VOLUME, check=False)
    c = Container("-e", "SQS_LOCAL_DATA_DIR=/data", "-v", f"{VOLUME}:/data")
    try:
        client = sqs("127.0.0.1", c.port)
        url = client.create_queue(QueueName="kept.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        for i in range(3):
            client.send_message(QueueUrl=url, MessageBody=f"m{i}", MessageGroupId="g", MessageDeduplicationId=str(i))
        podman("restart", c.name)
        # The restarted container may publish the same port again only once it is up.
        healthy(c.port)
        client = sqs("127.0.0.1", c.port)
        _assert(client.get_queue_url(QueueName="kept.fifo")["QueueUrl"] == url, "queue URL kept")
        bodies = []
        while len(bodies) < 3:
            got = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
            _assert(got, f"only {bodies} came back")
            for m in got:
                bodies.append(m["Body"])
                client.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        _assert(bodies == ["m0", "m1", "m2"], bodies)
        logs = podman("logs", c.name)
        _assert("restored 1 queues and 3 messages" in logs, logs)
    finally:
        c.remove()
        podman("volume", "rm", "-f", VOLUME, check=False)


HERE = os.path.dirname(os.path.abspath(__file__))


def example_config():
    example = os.path.join(HERE, "sqs-local.example.toml")
    c = Container("-e", "SQS_LOCAL_CONFIG=/etc/sqs-local.toml", "-v", f"{example}:/etc/sqs-local.toml:ro")
    try:
        client = sqs("127.0.0.1", c.port)
        names = sorted(u.rsplit("/", 1)[1] for u in client.list_queues()["QueueUrls"])
        _assert(names == ["emails", "orders-dlq.fifo", "orders.fifo"], names)
        url = client.get_queue_url(QueueName="orders.fifo")["QueueUrl"]
        redrive = json.loads(client.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"])
        _assert(redrive["deadLetterTargetArn"].endswith(":orders-dlq.fifo") and redrive["maxReceiveCount"] == 3, redrive)
    finally:
        c.remove()


def parsed_compose(name):
    """The compose file, after podman-compose (from PyPI, installed by test-image.sh when it can be)
    parsed it as a compose tool would; the structural checks of the callers hold either way."""
    import yaml

    podman_compose = os.path.join(os.path.dirname(sys.executable), "podman-compose")
    if os.path.exists(podman_compose):
        parsed = subprocess.run([podman_compose, "-f", os.path.join(HERE, name), "config"], capture_output=True, text=True)
        _assert(parsed.returncode == 0, f"podman-compose config: {parsed.stderr.strip()}")
    else:
        print(f"        podman-compose is not installed: checking {name}'s structure only")
    with open(os.path.join(HERE, name)) as f:
        return yaml.safe_load(f)


def compose_postgres_file():
    compose = parsed_compose("compose.postgres.yml")
    postgres, sqs_service, app = (compose["services"][s] for s in ("postgres", "sqs", "app"))
    _assert(sqs_service["depends_on"]["postgres"]["condition"] == "service_healthy", sqs_service["depends_on"])
    _assert(postgres["healthcheck"]["test"][:2] == ["CMD", "pg_isready"], postgres["healthcheck"])
    env = postgres["environment"]
    url = f"postgres://{env['POSTGRES_USER']}:{env['POSTGRES_PASSWORD']}@postgres:5432/{env['POSTGRES_DB']}"
    _assert(sqs_service["environment"]["SQS_LOCAL_DATABASE_URL"] == url, sqs_service["environment"])
    _assert("SQS_LOCAL_DATA_DIR" not in sqs_service["environment"], "not with a data directory")
    _assert(sqs_service["healthcheck"]["test"] == ["CMD", "/sqs-local", "--healthcheck"], sqs_service["healthcheck"])
    _assert(app["depends_on"]["sqs"]["condition"] == "service_healthy", app["depends_on"])
    _assert(any(v.startswith("pg-data:") for v in postgres["volumes"]) and "pg-data" in compose["volumes"], "volume")


def compose_file():
    compose = parsed_compose("compose.yml")
    sqs_service, app = compose["services"]["sqs"], compose["services"]["app"]
    _assert(sqs_service["build"]["dockerfile"] == "docker/Dockerfile", sqs_service["build"])
    _assert(os.path.exists(os.path.join(HERE, "..", sqs_service["build"]["dockerfile"])), "Dockerfile path")
    _assert(sqs_service["healthcheck"]["test"] == ["CMD", "/sqs-local", "--healthcheck"], sqs_service["healthcheck"])
    _assert(app["depends_on"]["sqs"]["condition"] == "service_healthy", app["depends_on"])
    _assert(app["environment"]["AWS_ENDPOINT_URL"] == "http://sqs:9324", app["environment"])
    _assert("sqs-data:/data" in sqs_service["volumes"] and "sqs-data" in compose["volumes"], "named volume")
    _assert(sqs_service["environment"]["SQS_LOCAL_DATA_DIR"] == "/data", sqs_service["environment"])
    config_mount = next(v for v in sqs_service["volumes"] if v.endswith(":/etc/sqs-local.toml:ro"))
    _assert(os.path.exists(os.path.join(HERE, config_mount.split(":")[0])), config_mount)


if __name__ == "__main__":
    sys.exit(main())
